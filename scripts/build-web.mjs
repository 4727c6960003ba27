// Builds the portal's browser UI (portal/web, preact + TypeScript) into dist/web with vite:
// type-check first (the main tsconfig leaves portal/web out), then one bundle, no CDN.
// Skipped when dist/web is newer than every source file (and this script); --force builds anyway.
// Usage: node scripts/build-web.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const web = join(root, 'portal/web');
const out = join(root, 'dist/web');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}
const built = join(out, 'index.html');
const inputs = Math.max(newestMtime(web), statSync(new URL(import.meta.url)).mtimeMs, statSync(join(root, 'package-lock.json')).mtimeMs);
if (!process.argv.includes('--force') && existsSync(built) && statSync(built).mtimeMs > inputs) process.exit(0);

const check = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(web, 'tsconfig.json')], { stdio: 'inherit' });
if (check.status !== 0) process.exit(check.status ?? 1);

const { build } = await import('vite');
const { default: preact } = await import('@preact/preset-vite');
await build({
  root: web,
  configFile: false,
  logLevel: 'warn',
  base: '/',
  plugins: [preact()],
  build: {
    outDir: out,
    emptyOutDir: true,
    // The appliance serves the bundle itself; browsers of the last few years run it as is.
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
});
