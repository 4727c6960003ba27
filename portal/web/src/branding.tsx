import { useEffect, useState } from 'preact/hooks';
import { Outcome, useAction } from './admin';
import { api } from './api';
import { formatDate } from './format';

// Seed 000 "Branding": the logo in the top left corner of every page. The sign-in page shows it
// too, so it is read without a session; the Branding screen tells the header when it changes.

interface Logo {
  url: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
  updatedAt: string;
}

const MAX_BYTES = 512 * 1024;
const TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

let current: Logo | null | undefined;
const listeners = new Set<(l: Logo | null) => void>();

function publish(logo: Logo | null): void {
  current = logo;
  for (const l of listeners) l(logo);
}

/** The logo in force (null: none, undefined: not known yet). */
export function useLogo(): Logo | null | undefined {
  const [logo, setLogo] = useState(current);
  useEffect(() => {
    listeners.add(setLogo);
    if (current === undefined) {
      api<{ logo: Logo | null }>('GET', '/branding', undefined, { anonymous: true })
        .then((b) => publish(b.logo))
        // Without its logo the portal still works; the product name stands in.
        .catch(() => publish(null));
    }
    return () => void listeners.delete(setLogo);
  }, []);
  return logo;
}

/** The logo, or the product's name while none is set. */
export function Brand({ className = 'brand' }: { className?: string }) {
  const logo = useLogo();
  if (logo) return <img class={`${className} logo`} src={logo.url} alt="Logo" />;
  return <span class={className}>sipvault</span>;
}

/** Why a file cannot be the logo, before it is sent; null when it can. */
function problemWith(file: File): string | null {
  if (!TYPES.includes(file.type)) return `${file.name} is not a PNG, JPEG, GIF or WebP image. SVG is not accepted; export the logo as PNG.`;
  if (file.size > MAX_BYTES) return `${file.name} is ${Math.ceil(file.size / 1024)} KB; a logo may be at most ${MAX_BYTES / 1024} KB.`;
  return null;
}

export function BrandingScreen() {
  const logo = useLogo();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const act = useAction();

  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);

  const choose = (f: File | undefined | null) => {
    if (!f) return;
    const why = problemWith(f);
    setProblem(why);
    setFile(why ? null : f);
    setPreview(why ? null : URL.createObjectURL(f));
  };
  const apply = async () => {
    if (!file) return;
    let answer: { logo: Logo | null } | undefined;
    const ok = await act.run('Applying the logo', async () => void (answer = await api<{ logo: Logo | null }>('PUT', '/branding/logo', file)), 'The new logo is shown in the top left corner of every page.');
    if (ok && answer) {
      publish(answer.logo);
      setFile(null);
      setPreview(null);
    }
  };
  const remove = async () => {
    if (await act.run('Removing the logo', () => api('DELETE', '/branding/logo'), 'The logo was removed; the product name is shown again.')) publish(null);
  };

  return (
    <section aria-labelledby="brand-title">
      <h2 id="brand-title">Branding</h2>
      <div class="logo-current">
        <span class="muted">Current logo:</span>{' '}
        {logo ? (
          <>
            <img src={logo.url} alt="Current logo" class="logo-preview" />
            <span class="muted">
              {logo.width} x {logo.height} px, {Math.ceil(logo.bytes / 1024)} KB, {formatDate(logo.updatedAt)}
            </span>
            <button type="button" class="danger" disabled={act.busy} onClick={remove}>
              Remove logo
            </button>
          </>
        ) : (
          <span>none; the header shows the product name.</span>
        )}
      </div>
      <div
        class={`drop-zone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          choose(e.dataTransfer?.files[0]);
        }}
      >
        <p>Drag or drop a logo or click Browse and then click Apply. PNG, JPEG, GIF or WebP, at most 512 KB; it is shown about 32 pixels high.</p>
        <label class="button" for="logo-file">
          New Logo: Browse…
        </label>
        <input id="logo-file" class="sr-only" type="file" accept={TYPES.join(',')} onChange={(e) => choose((e.currentTarget as HTMLInputElement).files?.[0])} />
        {preview && file && (
          <p>
            <img src={preview} alt="New logo preview" class="logo-preview" /> {file.name}
          </p>
        )}
        <button type="button" class="primary" disabled={!file || act.busy} onClick={apply}>
          Apply
        </button>
      </div>
      <Outcome message={act.message} error={problem ?? act.error} />
    </section>
  );
}
