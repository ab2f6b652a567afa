// A Problem ticket's linked tickets: a public update on the Problem reaches every one of them,
// and resolving it resolves them. Shown on the Problem's own page and under its incident.
import { useCallback, useEffect, useState } from "react";
import { get, request } from "../shared/api";
import { message } from "../shared/errors";
import { followLink, navigate } from "../shared/router";
import type { ProblemLinks, TicketProblem } from "../shared/types";
import { parseNumbers } from "./logic/numbers";

export function useProblem(number: number | null): {
  problem: ProblemLinks | null;
  setProblem: (p: ProblemLinks) => void;
} {
  const [problem, setProblem] = useState<ProblemLinks | null>(null);
  useEffect(() => {
    if (number === null) return;
    let current = true;
    get<ProblemLinks>(`/api/problems/${number}`)
      .then((found) => current && setProblem(found))
      .catch(() => undefined); // 404: not a Problem ticket
    return () => {
      current = false;
    };
  }, [number]);
  return { problem, setProblem };
}

export function LinkedTickets({
  problem,
  onChange,
}: {
  problem: ProblemLinks;
  onChange: (p: ProblemLinks) => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const numbers = parseNumbers(text);

  const run = useCallback(
    async (call: () => Promise<ProblemLinks>) => {
      setBusy(true);
      try {
        onChange(await call());
        setError(null);
        setText("");
      } catch (e) {
        setError(message(e));
      } finally {
        setBusy(false);
      }
    },
    [onChange],
  );

  return (
    <div className="linked">
      {problem.linked.length === 0 ? (
        <p className="muted">No tickets linked yet.</p>
      ) : (
        <ul className="plain" aria-label={`Tickets linked to Problem #${problem.number}`}>
          {problem.linked.map((n) => (
            <li key={n}>
              <a href={`/tickets/${n}`} onClick={followLink}>
                #{n}
              </a>{" "}
              <button
                type="button"
                className="small"
                disabled={busy}
                aria-label={`Unlink #${n}`}
                onClick={() =>
                  void run(() =>
                    request<ProblemLinks>("DELETE", `/api/problems/${problem.number}/links/${n}`),
                  )
                }
              >
                Unlink
              </button>
            </li>
          ))}
        </ul>
      )}
      <form
        className="inline"
        aria-label={`Link tickets to Problem #${problem.number}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (numbers?.length) {
            void run(() =>
              request<ProblemLinks>("POST", `/api/problems/${problem.number}/links`, {
                body: { ticket_numbers: numbers },
              }),
            );
          }
        }}
      >
        <label>
          Ticket numbers
          <input
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="e.g. 12, 15"
            aria-invalid={text !== "" && numbers === null}
          />
        </label>
        <button type="submit" disabled={busy || !numbers?.length}>
          Link
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
    </div>
  );
}

/** On a ticket: the Problem it is (its links), the Problem it is linked to, or a way to link
 * it to one or raise one from it. */
export function ProblemPanel({
  number,
  subject,
  open,
}: {
  number: number;
  subject: string;
  /** Resolved and closed tickets are not linked to Problems (nothing more to tell them). */
  open: boolean;
}) {
  const [state, setState] = useState<TicketProblem | null>(null);
  const [target, setTarget] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    setState(await get<TicketProblem>(`/api/tickets/${number}/problem`));
  }, [number]);

  useEffect(() => {
    load().catch((e: unknown) => setError(message(e)));
  }, [load]);

  async function act(call: () => Promise<unknown>): Promise<void> {
    setBusy(true);
    try {
      await call();
      await load();
      setError(null);
      setTarget("");
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  }

  if (!state) return error ? <p role="alert">{error}</p> : null;
  const { problem, linked_to: linkedTo } = state;
  if (problem) {
    return (
      <section className="problem" aria-label="Problem">
        <h2>Problem: linked tickets</h2>
        <p className="muted">
          A public reply here reaches every linked ticket; resolving this resolves them.
        </p>
        <LinkedTickets problem={problem} onChange={(p) => setState({ ...state, problem: p })} />
      </section>
    );
  }
  if (!linkedTo && !open) return null;
  const problemNumber = /^\s*#?(\d+)\s*$/.exec(target)?.[1];
  return (
    <section className="problem" aria-label="Problem">
      {linkedTo ? (
        <p>
          Linked to{" "}
          <a href={`/tickets/${linkedTo}`} onClick={followLink}>
            Problem #{linkedTo}
          </a>
          : its public updates reach this ticket.{" "}
          <button
            type="button"
            className="small"
            disabled={busy}
            onClick={() =>
              void act(() => request("DELETE", `/api/problems/${linkedTo}/links/${number}`))
            }
          >
            Unlink
          </button>
        </p>
      ) : (
        <details>
          <summary>Problem</summary>
          <form
            className="inline"
            aria-label="Link to a Problem"
            onSubmit={(e) => {
              e.preventDefault();
              if (problemNumber) {
                void act(() =>
                  request("POST", `/api/problems/${problemNumber}/links`, {
                    body: { ticket_numbers: [number] },
                  }),
                );
              }
            }}
          >
            <label>
              Problem number
              <input value={target} onChange={(e) => setTarget(e.target.value)} />
            </label>
            <button type="submit" disabled={busy || !problemNumber}>
              Link
            </button>
          </form>
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(async () => {
                const raised = await request<ProblemLinks>("POST", "/api/problems", {
                  body: {
                    subject: `Problem: ${subject}`.slice(0, 500),
                    body: `Raised from ticket #${number}.`,
                    ticket_numbers: [number],
                  },
                });
                navigate(`/tickets/${raised.number}`);
              })
            }
          >
            Raise a Problem from this ticket
          </button>
        </details>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
