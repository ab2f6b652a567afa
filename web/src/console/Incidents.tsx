// Major incidents: the lateral analysis noticed several clients reporting the same thing within
// minutes. An agent raises a Problem for it (its reports' tickets are linked at once) or
// dismisses it; Problems can also be raised by hand with the tickets to link.
import { useCallback, useEffect, useState } from "react";
import { get, request } from "../shared/api";
import { formatWhen } from "../shared/clock";
import { type FormErrors, NO_ERRORS, formErrors, message } from "../shared/errors";
import { usePaged } from "../shared/paging";
import { followLink, navigate, useLocation } from "../shared/router";
import {
  type MajorIncident,
  PRIORITIES,
  type Page,
  type ProblemLinks,
  type ProblemSummary,
  statusLabel,
} from "../shared/types";
import { nameOf, useDirectory } from "./directory";
import { parseNumbers } from "./logic/numbers";
import { LinkedTickets, useProblem } from "./ProblemPanel";

type Status = MajorIncident["status"];
const TABS: { status: Status; label: string }[] = [
  { status: "open", label: "Suspected" },
  { status: "problem", label: "Problem raised" },
  { status: "dismissed", label: "Dismissed" },
];

export default function Incidents() {
  const location = useLocation();
  const status = (new URLSearchParams(location.split("?")[1] ?? "").get("status") ??
    "open") as Status;
  const [items, setItems] = useState<MajorIncident[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const page = await get<Page<MajorIncident>>("/api/major-incidents", { status, limit: 50 });
      setItems(page.items);
      setError(null);
    } catch (e) {
      setError(message(e));
    }
  }, [status]);
  useEffect(() => {
    setItems(null);
    void load();
  }, [load]);

  return (
    <main className="page incidents">
      <h1>Major incidents</h1>
      <p className="muted">
        Keywords several clients reported within minutes of each other. Raise a Problem to handle
        them once: its public updates reach every linked ticket.
      </p>
      <nav className="tabs" aria-label="Incident status">
        {TABS.map((t) => (
          <a
            key={t.status}
            href={`/incidents?status=${t.status}`}
            onClick={followLink}
            aria-current={t.status === status ? "page" : undefined}
          >
            {t.label}
          </a>
        ))}
      </nav>
      {error && <p role="alert">{error}</p>}
      {items === null ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>No {TABS.find((t) => t.status === status)?.label.toLowerCase()} incidents.</p>
      ) : (
        <ul className="plain cards" aria-label="Incidents">
          {items.map((incident) => (
            <IncidentCard key={incident.id} incident={incident} onChanged={load} />
          ))}
        </ul>
      )}
      <Problems />
      <RaiseProblem />
    </main>
  );
}

function IncidentCard({
  incident,
  onChanged,
}: {
  incident: MajorIncident;
  onChanged: () => Promise<void>;
}) {
  const { clients } = useDirectory();
  const [raising, setRaising] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const tickets = [
    ...new Set(incident.reports.map((r) => r.ticket_number).filter((n) => n !== null)),
  ];
  const title = incident.keywords.slice(0, 4).join(", ");

  async function dismiss(): Promise<void> {
    try {
      await request("POST", `/api/major-incidents/${incident.id}/dismiss`);
      await onChanged();
    } catch (e) {
      setError(message(e));
    }
  }

  return (
    <li>
      <article className="card" aria-label={`Incident: ${title}`}>
        <header>
          <h2>{title}</h2>
          <span className="muted">
            {incident.client_ids.length} clients · {incident.reports.length} reports · since{" "}
            {formatWhen(incident.created_at)}
          </span>
        </header>
        <p>
          <strong>Clients:</strong> {incident.client_ids.map((c) => nameOf(clients, c)).join(", ")}
        </p>
        {tickets.length > 0 && (
          <p>
            <strong>Tickets:</strong>{" "}
            {tickets.map((n, i) => (
              <span key={n}>
                {i > 0 && ", "}
                <a href={`/tickets/${n}`} onClick={followLink}>
                  #{n}
                </a>
              </span>
            ))}
          </p>
        )}
        {incident.problem_number !== null ? (
          <ProblemOf number={incident.problem_number} />
        ) : (
          incident.status === "open" && (
            <div className="buttons">
              <button type="button" onClick={() => setRaising(!raising)}>
                Raise a Problem
              </button>
              <button type="button" onClick={() => void dismiss()}>
                Dismiss
              </button>
            </div>
          )
        )}
        {raising && (
          <ProblemForm
            label={`Problem for ${title}`}
            defaults={{ subject: `Major incident: ${title}` }}
            submit={(body) =>
              request<ProblemLinks>("POST", `/api/major-incidents/${incident.id}/problem`, {
                body,
              })
            }
            onDone={async () => {
              setRaising(false);
              await onChanged();
            }}
          />
        )}
        {error && <p role="alert">{error}</p>}
      </article>
    </li>
  );
}

function ProblemOf({ number }: { number: number }) {
  const { problem, setProblem } = useProblem(number);
  return (
    <div>
      <p>
        Problem{" "}
        <a href={`/tickets/${number}`} onClick={followLink}>
          #{number}
        </a>
      </p>
      {problem && <LinkedTickets problem={problem} onChange={setProblem} />}
    </div>
  );
}

interface ProblemBody {
  subject?: string;
  body?: string;
  priority: string;
  team_id?: string;
  client_id?: string;
  ticket_numbers?: number[];
}

function ProblemForm({
  label,
  defaults,
  submit,
  onDone,
  withTickets = false,
}: {
  label: string;
  defaults: { subject: string };
  submit: (body: ProblemBody) => Promise<ProblemLinks>;
  onDone: (p: ProblemLinks) => Promise<void> | void;
  withTickets?: boolean;
}) {
  const { teams, clients } = useDirectory();
  const [subject, setSubject] = useState(defaults.subject);
  const [body, setBody] = useState("");
  const [priority, setPriority] = useState("P2");
  const [team, setTeam] = useState("");
  const [client, setClient] = useState("");
  const [tickets, setTickets] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const numbers = parseNumbers(tickets);
  // Errors on fields this form does not show (an incident's tickets) go above the button.
  const known = ["subject", "body", "priority", "team_id"].concat(
    withTickets ? ["client_id", "ticket_numbers"] : [],
  );

  async function save(): Promise<void> {
    setBusy(true);
    try {
      const out: ProblemBody = { priority };
      if (subject.trim()) out.subject = subject.trim();
      if (body.trim()) out.body = body.trim();
      if (team) out.team_id = team;
      if (client) out.client_id = client;
      if (withTickets) out.ticket_numbers = numbers ?? [];
      const made = await submit(out);
      setErrors(NO_ERRORS);
      await onDone(made);
    } catch (e) {
      setErrors(formErrors(e, known));
    } finally {
      setBusy(false);
    }
  }

  const err = (field: string) =>
    errors.fields[field] && (
      <span className="field-error" role="alert">
        {errors.fields[field]}
      </span>
    );

  return (
    <form
      className="form-grid"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label className="wide">
        Subject
        <input value={subject} onChange={(e) => setSubject(e.target.value)} />
        {err("subject")}
      </label>
      <label className="wide">
        What is known
        <textarea rows={3} value={body} onChange={(e) => setBody(e.target.value)} />
        {err("body")}
      </label>
      <label>
        Priority
        <select value={priority} onChange={(e) => setPriority(e.target.value)}>
          {PRIORITIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        Team
        <select value={team} onChange={(e) => setTeam(e.target.value)}>
          <option value="">None</option>
          {teams.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        {err("team_id")}
      </label>
      {withTickets && (
        <>
          <label>
            Client
            <select value={client} onChange={(e) => setClient(e.target.value)}>
              <option value="">The first linked ticket's</option>
              {clients.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
            {err("client_id")}
          </label>
          <label className="wide">
            Tickets to link
            <input
              value={tickets}
              onChange={(e) => setTickets(e.target.value)}
              placeholder="e.g. 12, 15, 18"
              aria-invalid={numbers === null}
            />
            {err("ticket_numbers")}
          </label>
        </>
      )}
      {errors.general && (
        <p role="alert" className="wide">
          {errors.general}
        </p>
      )}
      <div className="buttons wide">
        <button type="submit" disabled={busy || numbers === null}>
          Raise Problem
        </button>
      </div>
    </form>
  );
}

function RaiseProblem() {
  const [open, setOpen] = useState(false);
  return (
    <section className="raise" aria-label="Raise a Problem by hand">
      <h2>
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          Raise a Problem by hand
        </button>
      </h2>
      {open && (
        <ProblemForm
          label="New Problem"
          defaults={{ subject: "" }}
          withTickets
          submit={(body) => request<ProblemLinks>("POST", "/api/problems", { body })}
          onDone={(made) => navigate(`/tickets/${made.number}`)}
        />
      )}
    </section>
  );
}

/** Problems by themselves, newest first (GET /api/problems): the open ones, or the resolved. */
function Problems() {
  const [state, setState] = useState<"open" | "resolved">("open");
  const { items, error, more, loadMore } = usePaged<ProblemSummary>("/api/problems", {
    state,
    limit: 50,
  });

  return (
    <section aria-label="Problems">
      <h2>Problems</h2>
      <label className="inline">
        <input
          type="checkbox"
          checked={state === "resolved"}
          onChange={(e) => setState(e.target.checked ? "resolved" : "open")}
        />
        Resolved Problems instead of open ones
      </label>
      {error && <p role="alert">{error}</p>}
      {items === null ? (
        !error && <p>Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted">No {state} Problems.</p>
      ) : (
        <ul className="plain" aria-label={`${state === "open" ? "Open" : "Resolved"} Problems`}>
          {items.map((p) => (
            <li key={p.number}>
              <a href={`/tickets/${p.number}`} onClick={followLink}>
                #{p.number} {p.subject}
              </a>{" "}
              <span className="muted">
                {p.priority} · {statusLabel(p.status)} · {p.linked_count} linked
              </span>
            </li>
          ))}
        </ul>
      )}
      {more && (
        <button type="button" onClick={loadMore}>
          More Problems
        </button>
      )}
    </section>
  );
}
