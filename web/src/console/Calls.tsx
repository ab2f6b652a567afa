// The calls list: recent calls newest first (or the unknown callers waiting for an agent to say
// who they were, or the missed calls to ring back), with who called, for which client, who
// answered, how long, and the ticket the call was logged on.
import { useEffect, useState } from "react";
import { get } from "../shared/api";
import { formatWhen } from "../shared/clock";
import { usePaged } from "../shared/paging";
import { followLink, navigate, useLocation } from "../shared/router";
import type { Call, Named } from "../shared/types";
import { nameOf, useDirectory } from "./directory";

type View = "recent" | "unmatched" | "callback";
const VIEWS: { view: View; label: string }[] = [
  { view: "recent", label: "Recent" },
  { view: "unmatched", label: "Unknown callers" },
  { view: "callback", label: "To call back" },
];
const HOURS = [1, 4, 24, 72, 168];
const PAGE = 50;

// Callers' names, read once per tab: a list of fifty calls names a handful of people.
const people = new Map<string, Promise<Named | null>>();

function person(id: string): Promise<Named | null> {
  let found = people.get(id);
  if (!found) {
    found = get<Named>(`/api/admin/end-users/${id}`).catch(() => null);
    people.set(id, found);
  }
  return found;
}

function duration(call: Pick<Call, "answered_at" | "ended_at">, now = Date.now()): string {
  if (!call.answered_at) return "—";
  const end = call.ended_at ? Date.parse(call.ended_at) : now;
  const seconds = Math.max(0, Math.round((end - Date.parse(call.answered_at)) / 1000));
  const m = Math.floor(seconds / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return `${m}:${s}`;
}

const STATE_LABELS: Record<Call["state"], string> = {
  ringing: "Ringing",
  answered: "On the call",
  ended: "Ended",
  missed: "Missed",
};

function params(location: string): { view: View; hours: number } {
  const query = new URLSearchParams(location.split("?")[1] ?? "");
  const view = (VIEWS.find((v) => v.view === query.get("view"))?.view ?? "recent") as View;
  const hours = Number(query.get("hours") ?? 24);
  return { view, hours: HOURS.includes(hours) ? hours : 24 };
}

export default function Calls() {
  const location = useLocation();
  const { view, hours } = params(location);
  const { clients, agents, teams } = useDirectory();
  const {
    items: calls,
    error,
    more,
    loadMore,
    reload,
  } = usePaged<Call>("/api/calls", {
    view,
    hours: view === "recent" ? hours : null,
    limit: PAGE,
  });
  const [names, setNames] = useState<Record<string, string>>({});

  useEffect(() => {
    const wanted = [
      ...new Set((calls ?? []).flatMap((c) => (c.end_user_id ? [c.end_user_id] : []))),
    ];
    let current = true;
    void Promise.all(wanted.map(person)).then((found) => {
      if (!current) return;
      const named: Record<string, string> = {};
      for (const p of found) if (p) named[p.id] = p.name;
      setNames(named);
    });
    return () => {
      current = false;
    };
  }, [calls]);

  const href = (next: { view?: View; hours?: number }): string => {
    const v = next.view ?? view;
    const h = next.hours ?? hours;
    return `/calls?view=${v}${v === "recent" ? `&hours=${h}` : ""}`;
  };

  return (
    <main className="page calls">
      <header className="admin-head">
        <h1>Calls</h1>
        <button type="button" onClick={reload}>
          Refresh
        </button>
      </header>
      <nav className="tabs" aria-label="Which calls">
        {VIEWS.map((v) => (
          <a
            key={v.view}
            href={href({ view: v.view })}
            onClick={followLink}
            aria-current={v.view === view ? "page" : undefined}
          >
            {v.label}
          </a>
        ))}
      </nav>
      {view === "recent" && (
        <label>
          Calls of the last{" "}
          <select
            value={hours}
            onChange={(e) => navigate(href({ hours: Number(e.target.value) }), true)}
          >
            {HOURS.map((h) => (
              <option key={h} value={h}>
                {h < 24 ? `${h} hour${h > 1 ? "s" : ""}` : `${h / 24} day${h > 24 ? "s" : ""}`}
              </option>
            ))}
          </select>
        </label>
      )}
      {error && <p role="alert">{error}</p>}
      {calls === null ? (
        <p>Loading…</p>
      ) : calls.length === 0 ? (
        <p>No calls.</p>
      ) : (
        <table aria-label="Calls">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Call</th>
              <th scope="col">Caller</th>
              <th scope="col">Client</th>
              <th scope="col">Agent</th>
              <th scope="col">Duration</th>
              <th scope="col">Ticket</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((call) => {
              const number = call.caller_e164 ?? call.caller_raw ?? "withheld";
              const who = call.end_user_id ? names[call.end_user_id] : undefined;
              const ticket = call.ticket_number ?? call.callback_ticket;
              return (
                <tr key={call.id}>
                  <td>{formatWhen(call.started_at)}</td>
                  <td>
                    {call.direction === "inbound" ? "In" : "Out"}, {STATE_LABELS[call.state]}
                  </td>
                  <td>
                    {who ?? number}
                    {who && <span className="muted"> {number}</span>}
                  </td>
                  <td>{nameOf(clients, call.client_id, "Unknown")}</td>
                  <td>
                    {call.agent_id
                      ? nameOf(agents, call.agent_id)
                      : call.team_id
                        ? `${nameOf(teams, call.team_id)} (team)`
                        : "—"}
                  </td>
                  <td>{duration(call)}</td>
                  <td>
                    {ticket ? (
                      <a href={`/tickets/${ticket}`} onClick={followLink}>
                        #{ticket}
                        {call.ticket_number ? "" : " (call-back)"}
                      </a>
                    ) : call.callback_open ? (
                      "Call back"
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {more && (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      )}
    </main>
  );
}
