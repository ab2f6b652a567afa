// Deleting for good (assets, routing rules, call scripts: what no history names), after a
// second click that says what goes; a stale version is refused by the API and said so here.
import { useState } from "react";
import { ApiError, request } from "../../shared/api";
import { message } from "../../shared/errors";

/** Delete for good, after a second click that says what goes. */
export function DeleteButton({
  what,
  url,
  version,
  onDeleted,
}: {
  what: string;
  url: string;
  version: number;
  onDeleted: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async (): Promise<void> => {
    setBusy(true);
    try {
      await request<void>("DELETE", url, { headers: { "If-Match": `"${version}"` } });
      onDeleted();
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 409
          ? "Changed by someone else since you opened it: reload the page, check their changes, then delete."
          : message(e),
      );
      setAsking(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label="Delete">
      <h2 className="form-section">Delete</h2>
      {asking ? (
        <div className="buttons" role="group" aria-label="Confirm delete">
          <span>Delete the {what} for good?</span>
          <button type="button" disabled={busy} onClick={() => void remove()}>
            Yes, delete it
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Keep it
          </button>
        </div>
      ) : (
        <button type="button" onClick={() => setAsking(true)}>
          Delete…
        </button>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
