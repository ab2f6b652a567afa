// What AI triage made of the ticket: its suggestion field by field, the five past tickets it
// learnt from, the time they took. "Accept" writes the suggestion; overriding it is the normal
// field edit (the fields form), which triage records as an override.
import { useEffect, useState } from "react";
import { ApiError, getAll, request } from "../shared/api";
import { followLink } from "../shared/router";
import type { Named, Ticket, TicketDetail, Triage, TriageField } from "../shared/types";
import { nameOf, useDirectory } from "./directory";
import { formatMinutes } from "./logic/timer";
import { canAccept, percent, triageRows } from "./logic/triage";

const LABELS: Record<TriageField, string> = {
  category_id: "Category",
  priority: "Priority",
  team_id: "Team",
  agent_id: "Assignee",
};

const METHODS: Record<Triage["method"], string> = {
  vector: "similar past tickets",
  llm: "the language model",
  rules: "routing rules only",
};

let rulesOnce: Promise<Named[]> | null = null;
/** Routing rules by name, read once per session and only when a ticket names one. */
function ruleNames(): Promise<Named[]> {
  rulesOnce ??= getAll<Named>("/api/admin/routing-rules").catch(() => {
    rulesOnce = null;
    return [];
  });
  return rulesOnce;
}

export function TriagePanel({
  ticket,
  triage,
  onChanged,
}: {
  ticket: TicketDetail;
  triage: Triage;
  onChanged: () => Promise<void>;
}) {
  const { agents, teams, categories } = useDirectory();
  const [rules, setRules] = useState<Named[]>([]);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const rows = triageRows(triage, ticket);
  const usesRules = rows.some((r) => r.ruleId !== null);

  useEffect(() => {
    if (usesRules) void ruleNames().then(setRules);
  }, [usesRules]);

  const show = (field: TriageField, value: string | null): string => {
    if (field === "category_id") return nameOf(categories, value, "None");
    if (field === "team_id") return nameOf(teams, value, "None");
    if (field === "agent_id") return nameOf(agents, value, "Unassigned");
    return value ?? "—";
  };
  const current = (field: TriageField): string | null => (ticket as Ticket)[field];

  async function accept(): Promise<void> {
    setBusy(true);
    setNotice(null);
    try {
      await request("POST", `/api/tickets/${ticket.number}/triage/accept`, {
        headers: { "If-Match": `"${ticket.version}"` },
      });
      await onChanged();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setNotice(
          "Changed by someone else since you opened it: the fields now show their values. " +
            "Check the suggestion against them and accept again if it still fits.",
        );
        await onChanged();
      } else {
        setNotice(e instanceof Error ? e.message : String(e));
      }
    } finally {
      setBusy(false);
    }
  }

  const outcome =
    triage.outcome === "applied"
      ? "Applied automatically"
      : triage.outcome === "suggested"
        ? triage.accepted_by
          ? `Accepted by ${nameOf(agents, triage.accepted_by)}`
          : "Suggested: not applied yet"
        : "Routing rules only";

  return (
    <section className="triage" aria-label="Triage">
      <header>
        <h2>Triage</h2>
        <span className={`tag triage-${triage.outcome}`}>{outcome}</span>
      </header>
      <p className="muted">
        From {METHODS[triage.method]}
        {triage.method !== "rules" && (
          <>
            {" "}
            · confidence <strong>{percent(triage.confidence)}</strong> (applies itself from{" "}
            {percent(triage.threshold)})
          </>
        )}
        {triage.estimated_minutes !== null && (
          <>
            {" "}
            · estimated time <strong>{formatMinutes(triage.estimated_minutes)}</strong>
          </>
        )}
      </p>
      {rows.length > 0 && (
        <table className="compact" aria-label="Suggested fields">
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Triage says</th>
              <th scope="col">Ticket now</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.field} className={row.current ? undefined : "differs"}>
                <th scope="row">{LABELS[row.field]}</th>
                <td>
                  {show(row.field, row.value)}{" "}
                  {row.ruleId !== null ? (
                    <span className="muted">rule: {nameOf(rules, row.ruleId)}</span>
                  ) : (
                    row.confidence !== null && (
                      <span className="muted">{percent(row.confidence)}</span>
                    )
                  )}
                  {triage.overrides[row.field] && <span className="tag">overridden</span>}
                </td>
                <td>{show(row.field, current(row.field))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {triage.reasoning && <p className="reasoning">{triage.reasoning}</p>}
      {canAccept(triage, ticket) && (
        <p>
          <button type="button" onClick={() => void accept()} disabled={busy}>
            Accept suggestion
          </button>{" "}
          <span className="muted">or change the fields to override it</span>
        </p>
      )}
      {notice && <p role="alert">{notice}</p>}
      {triage.neighbours.length > 0 && (
        <>
          <h3>Similar past tickets</h3>
          <ol className="plain neighbours" aria-label="Similar past tickets">
            {triage.neighbours.map((n) => (
              <li key={n.number}>
                <a href={`/tickets/${n.number}`} onClick={followLink}>
                  #{n.number}
                </a>{" "}
                <strong>{percent(n.similarity)}</strong> similar
                <span className="muted">
                  {n.category_id && ` · ${nameOf(categories, n.category_id)}`}
                  {n.resolution_minutes !== null &&
                    ` · resolved in ${formatMinutes(n.resolution_minutes)}`}
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
      {triage.fallbacks.length > 0 && (
        <details>
          <summary className="muted">Fallbacks</summary>
          <ul>
            {triage.fallbacks.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
