// Pieces every administration form shares, so they look and behave the same everywhere.

/** One checkbox with its label (the label names the control for screen readers). */
export function CheckOption({ label, checked, onChange }: { label: string; checked: boolean; onChange: (on: boolean) => void }) {
  return (
    <label class="toggle">
      <input type="checkbox" checked={checked} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      {label}
    </label>
  );
}

/** Submit and Cancel at the foot of a form. */
export function FormActions({ submitLabel, busy, onCancel }: { submitLabel: string; busy: boolean; onCancel: () => void }) {
  return (
    <div class="actions">
      <button type="submit" class="primary" disabled={busy}>
        {submitLabel}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** `list` with `value` ticked in or out (a checkbox list's state). */
export const toggled = <T,>(list: readonly T[], value: T, on: boolean): T[] => (on ? [...list.filter((x) => x !== value), value] : list.filter((x) => x !== value));

/** The button that opens a list's "new item" form. */
export function AddButton({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <p>
      <button type="button" class="primary" onClick={onClick}>
        {label}
      </button>
    </p>
  );
}
