/** A form's submit button and, once it went through, a polite "Saved" beside it. */
export function SaveRow({
  saved,
  small = false,
  disabled = false,
}: {
  saved: boolean;
  small?: boolean;
  disabled?: boolean;
}) {
  return (
    <div className="row">
      <button type="submit" className={small ? "primary small" : "primary"} disabled={disabled}>
        Save
      </button>
      {saved && (
        <span className="muted small" role="status">
          Saved
        </span>
      )}
    </div>
  );
}

/** What went wrong with a form's last submission, announced at once (nothing when it went through). */
export function FormError({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p className="error small" role="alert">
      {error}
    </p>
  );
}
