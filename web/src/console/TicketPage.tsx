// One ticket: what the client needs flagged, who else is on it, the conversation, the reply
// box and the fields, with the client context beside them.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, get, request } from "../shared/api";
import { AttachmentList, FilePicker } from "../shared/FileViews";
import { Uploads, attachmentsOfMeta } from "../shared/attachments";
import { message } from "../shared/errors";
import { formatWhen, useNow } from "../shared/clock";
import { markFirstScreenShown } from "../shared/firstScreen";
import { usePolling } from "../shared/polling";
import { followLink } from "../shared/router";
import {
  type Action,
  PRIORITIES,
  type Presence,
  STATUSES,
  type Ticket,
  type TicketDetail,
  statusLabel,
} from "../shared/types";
import { ContextPanel } from "./ContextPanel";
import { ProblemPanel } from "./ProblemPanel";
import { TimePanel, useTicketTimer } from "./TimePanel";
import { TriagePanel } from "./TriagePanel";
import { nameOf, useDirectory } from "./directory";
import {
  type Editable,
  type Field,
  type Merge,
  changes,
  editable,
  fieldsUntouched,
  mergeAfterConflict,
} from "./logic/merge";
import { presenceLines } from "./logic/presence";
import { SlaBadge } from "./SlaBadge";

export const HEARTBEAT_MS = 1000;
const REFRESH_MS = 10_000; // new mail and notes from others, besides what we do ourselves
const TRIAGE_REFRESH_MS = 1500;
const TRIAGE_WAIT_MS = 2 * 60_000;

type Activity = Presence["activity"];

export function TicketPage({ number }: { number: number }) {
  const [detail, setDetail] = useState<TicketDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [replying, setReplying] = useState(false);
  const [editing, setEditing] = useState(false);

  const load = useCallback(async () => {
    try {
      setDetail(await get<TicketDetail>(`/api/tickets/${number}`));
      setError(null);
      requestAnimationFrame(markFirstScreenShown);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setError(message(e));
    }
  }, [number]);

  useEffect(() => {
    void load();
  }, [load]);
  // A ticket raised a moment ago is triaged within seconds: look again sooner until it is.
  const awaitingTriage =
    detail?.triage === null && Date.now() - Date.parse(detail.created_at) < TRIAGE_WAIT_MS;
  usePolling(load, awaitingTriage ? TRIAGE_REFRESH_MS : REFRESH_MS, detail !== null);

  const activity: Activity = replying ? "replying" : editing ? "editing" : "viewing";
  const others = useHeartbeat(number, activity, detail !== null, detail?.presence);
  const clock = useTicketTimer(number, load);

  // Starting an action (a reply or a note) starts the doing timer, or resumes a paused one.
  const latestClock = useRef(clock);
  useEffect(() => {
    latestClock.current = clock;
  });
  useEffect(() => {
    const { timer, start, busy } = latestClock.current;
    if (replying && !busy && (!timer || timer.state === "paused")) void start("doing");
  }, [replying]);

  if (missing) {
    return (
      <main className="page">
        <h1>Ticket not found</h1>
        <p>
          There is no ticket #{number}.{" "}
          <a href="/" onClick={followLink}>
            Back to the queue
          </a>
        </p>
      </main>
    );
  }
  if (!detail)
    return <main className="page">{error ? <p role="alert">{error}</p> : <p>Loading…</p>}</main>;

  const context = detail.context;
  return (
    <div className="ticket-layout">
      <main className="ticket">
        {context && (context.vip || context.unsupported || context.popup_notes.length > 0) && (
          <section className="notes" role="alert" aria-label="Notes for this ticket">
            {context.vip && (
              <p className="flag flag-vip">VIP: {context.end_user?.name ?? "this end-user"}</p>
            )}
            {context.unsupported && (
              <p className="flag flag-bad">Not supported: check before doing any work</p>
            )}
            {context.popup_notes.map((note) => (
              <p key={note}>{note}</p>
            ))}
          </section>
        )}
        <PresenceBanner others={others} />
        <header className="ticket-head">
          <h1>
            #{detail.number} {detail.subject}
          </h1>
          <p>
            {context?.client.name} · {detail.priority} · {statusLabel(detail.status)} ·{" "}
            <SlaBadge state={detail.sla_state} dueAt={detail.sla_due_at} /> · opened{" "}
            {formatWhen(detail.created_at)} by {detail.source}
          </p>
        </header>
        {error && <p role="alert">{error}</p>}
        {typeof detail.problem_number === "number" && (
          <p className="linked-problem">
            Linked to Problem{" "}
            <a href={`/tickets/${detail.problem_number}`} onClick={followLink}>
              #{detail.problem_number}
            </a>
            : its public updates come here, and resolving it resolves this ticket.
          </p>
        )}
        {detail.triage && <TriagePanel ticket={detail} triage={detail.triage} onChanged={load} />}
        <ProblemPanel
          number={number}
          subject={detail.subject}
          open={detail.status !== "resolved" && detail.status !== "closed"}
        />
        <Conversation number={number} actions={detail.actions} />
        <ReplyBox number={number} onActive={setReplying} onSent={load} />
      </main>
      <div className="side">
        <FieldsForm ticket={detail} onSaved={load} onDirty={setEditing} />
        <TimePanel clock={clock} clientId={detail.client_id} entries={detail.time_entries ?? []} />
        {context && <ContextPanel context={context} priority={detail.priority} />}
      </div>
    </div>
  );
}

/** Say we are here every second; answers who else is. Leaving the ticket says so too. */
function useHeartbeat(
  number: number,
  activity: Activity,
  ready: boolean,
  initial: Presence[] | undefined,
): Presence[] {
  const { me } = useDirectory();
  const [others, setOthers] = useState<Presence[]>([]);
  const current = useRef(activity);
  const beat = useCallback(async () => {
    const out = await request<{ others: Presence[] }>("PUT", `/api/tickets/${number}/presence`, {
      body: { activity: current.current },
    });
    setOthers(out.others);
  }, [number]);

  useEffect(() => {
    if (initial)
      setOthers((seen) => (seen.length ? seen : initial.filter((p) => p.agent_id !== me.id)));
  }, [initial, me.id]);

  useEffect(() => {
    current.current = activity;
    if (ready) void beat().catch(() => undefined);
  }, [activity, ready, beat]);

  usePolling(beat, HEARTBEAT_MS, ready);

  useEffect(() => {
    const leave = (): void => {
      void request("DELETE", `/api/tickets/${number}/presence`, { keepalive: true }).catch(
        () => undefined,
      );
    };
    window.addEventListener("pagehide", leave);
    return () => {
      window.removeEventListener("pagehide", leave);
      leave();
    };
  }, [number]);
  return others;
}

function PresenceBanner({ others }: { others: Presence[] }) {
  const now = useNow();
  const lines = presenceLines(others, now);
  return (
    <div
      className={lines.length ? "presence active" : "presence"}
      role="status"
      aria-label="Who else is here"
    >
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
    </div>
  );
}

function actionLabel(action: Action): string {
  switch (action.kind) {
    case "email_in":
      return "Email in";
    case "email_out":
      return "Email out";
    case "call":
      return "Call";
    case "status_change":
      return "Status change";
    case "field_change":
      return "Change";
    case "sla_notification":
      return "SLA";
    case "note":
      if (action.visibility === "private") return "Private note";
      return action.author.kind === "end_user" ? "From the end-user" : "Public reply";
  }
}

function Conversation({ number, actions }: { number: number; actions: Action[] }) {
  return (
    <ol className="conversation" aria-label="Conversation">
      {actions.map((a) => (
        <li key={a.id} className={`action action-${a.kind} action-${a.visibility}`}>
          <article aria-label={`${actionLabel(a)} by ${a.author.name ?? a.author.kind}`}>
            <header>
              <strong>{actionLabel(a)}</strong> · {a.author.name ?? a.author.kind} ·{" "}
              <time dateTime={a.created_at}>{formatWhen(a.created_at)}</time>
              {a.visibility === "private" && a.kind === "note" && (
                <span className="tag">internal</span>
              )}
            </header>
            <div className="body">{a.body}</div>
            <AttachmentList
              root="/api"
              number={number}
              actionId={a.id}
              files={attachmentsOfMeta(a.meta)}
            />
          </article>
        </li>
      ))}
    </ol>
  );
}

function ReplyBox({
  number,
  onActive,
  onSent,
}: {
  number: number;
  onActive: (on: boolean) => void;
  onSent: () => Promise<void>;
}) {
  const [body, setBody] = useState("");
  const [focused, setFocused] = useState(false);
  const [visibility, setVisibility] = useState<"public" | "private">("public");
  const [files, setFiles] = useState<File[]>([]);
  const [uploads, setUploads] = useState(() => new Uploads("/api"));
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => onActive(focused || body.trim() !== ""), [focused, body, onActive]);

  async function send(event: React.FormEvent): Promise<void> {
    event.preventDefault();
    if (!body.trim() && files.length === 0) return;
    setSending(true);
    try {
      const attachments = await uploads.keys(files);
      await request("POST", `/api/tickets/${number}/actions`, {
        body: { body, visibility, attachments },
      });
      setBody("");
      setFiles([]);
      setUploads(new Uploads("/api"));
      setError(null);
      await onSent();
    } catch (e) {
      setError(message(e));
    } finally {
      setSending(false);
    }
  }

  return (
    <form className="reply" aria-label="Reply" onSubmit={(e) => void send(e)}>
      <fieldset>
        <legend>Send as</legend>
        <label>
          <input
            type="radio"
            name="visibility"
            checked={visibility === "public"}
            onChange={() => setVisibility("public")}
          />
          Reply to end-user
        </label>
        <label>
          <input
            type="radio"
            name="visibility"
            checked={visibility === "private"}
            onChange={() => setVisibility("private")}
          />
          Private note
        </label>
      </fieldset>
      <label>
        Message
        <textarea
          rows={5}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          onFocus={() => setFocused(true)}
          onBlur={() => setFocused(false)}
        />
      </label>
      <FilePicker files={files} onChange={setFiles} disabled={sending} />
      {error && <p role="alert">{error}</p>}
      <button type="submit" disabled={sending || (!body.trim() && files.length === 0)}>
        {visibility === "public" ? "Send reply" : "Add note"}
      </button>
    </form>
  );
}

const FIELD_LABELS: Record<Field, string> = {
  status: "Status",
  priority: "Priority",
  category_id: "Category",
  team_id: "Team",
  agent_id: "Assignee",
};

interface FieldsProps {
  ticket: TicketDetail;
  onSaved: () => Promise<void>;
  onDirty: (dirty: boolean) => void;
}

/** The ticket's fields. A save names the version it started from; if someone saved since,
 * the agent sees their values and chooses: nothing is overwritten silently. */
function FieldsForm({ ticket, onSaved, onDirty }: FieldsProps) {
  const { agents, teams, categories } = useDirectory();
  const [base, setBase] = useState<{ values: Editable; version: number }>(() => ({
    values: editable(ticket),
    version: ticket.version,
  }));
  const [draft, setDraft] = useState<Editable>(() => editable(ticket));
  const [conflict, setConflict] = useState<Merge | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const patch = changes(base.values, draft);
  const dirty = Object.keys(patch).length > 0;

  useEffect(() => onDirty(dirty), [dirty, onDirty]);

  // A fresh read replaces an untouched form; a form with changes keeps its own base version.
  useEffect(() => {
    if (!dirty && ticket.version > base.version) {
      setBase({ values: editable(ticket), version: ticket.version });
      setDraft(editable(ticket));
    }
  }, [ticket, dirty, base.version]);

  const name = (field: Field, value: string | null): string => {
    switch (field) {
      case "status":
        return value ? statusLabel(value as Ticket["status"]) : "—";
      case "priority":
        return value ?? "—";
      case "category_id":
        return nameOf(categories, value, "None");
      case "team_id":
        return nameOf(teams, value, "None");
      case "agent_id":
        return nameOf(agents, value, "Unassigned");
    }
  };

  async function save(): Promise<void> {
    setSaving(true);
    let from = base;
    let mine = draft;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const saved = await request<Ticket>("PATCH", `/api/tickets/${ticket.number}`, {
            body: changes(from.values, mine),
            headers: { "If-Match": `"${from.version}"` },
          });
          setConflict(null);
          setError(null);
          setBase({ values: editable(saved), version: saved.version });
          setDraft(editable(saved));
          await onSaved();
          return;
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 409)) throw e;
          const fresh = await get<TicketDetail>(`/api/tickets/${ticket.number}`);
          const merge = mergeAfterConflict(from.values, mine, editable(fresh));
          from = { values: editable(fresh), version: fresh.version };
          mine = merge.draft;
          // A reply, a note or the SLA clocks moved the version on: send ours again. Busy
          // tickets get a few tries; then the agent sees it as any other change.
          if (fieldsUntouched(merge) && attempt < 3) {
            if (Object.keys(merge.patch).length > 0) continue;
            setConflict(null); // both chose the same: nothing left to send
          } else {
            setConflict(merge);
          }
          setBase(from);
          setDraft(mine);
          await onSaved();
          return;
        }
      }
    } catch (e) {
      setError(message(e));
    } finally {
      setSaving(false);
    }
  }

  function discard(): void {
    setDraft(base.values);
    setConflict(null);
  }

  const select = (field: Field, options: { value: string; label: string }[], none?: string) => (
    <label>
      {FIELD_LABELS[field]}
      <select
        value={draft[field] ?? ""}
        className={patch[field] !== undefined ? "edited" : undefined}
        onChange={(e) => setDraft({ ...draft, [field]: e.target.value || null })}
      >
        {none !== undefined && <option value="">{none}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
  const of = (list: { id: string; name: string }[]) =>
    list.map((i) => ({ value: i.id, label: i.name }));

  return (
    <form
      className="fields"
      aria-label="Ticket fields"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {conflict && (
        <div className="conflict" role="alert">
          <p>
            <strong>Changed by someone else.</strong> Their values are below; your changes are not
            saved yet.
          </p>
          <ul>
            {[...conflict.conflicts, ...conflict.theirs].map((f) => (
              <li key={f}>
                {FIELD_LABELS[f]} is now {name(f, base.values[f])}
                {conflict.conflicts.includes(f) && ` (you chose ${name(f, conflict.draft[f])})`}
              </li>
            ))}
          </ul>
          <button type="submit" disabled={saving || !dirty}>
            Re-apply my changes
          </button>{" "}
          <button type="button" onClick={discard}>
            Keep their values
          </button>
        </div>
      )}
      {select(
        "status",
        STATUSES.map((s) => ({ value: s, label: statusLabel(s) })),
      )}
      {select(
        "priority",
        PRIORITIES.map((p) => ({ value: p, label: p })),
      )}
      {select("category_id", of(categories), "None")}
      {select("team_id", of(teams), "None")}
      {select("agent_id", of(agents), "Unassigned")}
      {error && <p role="alert">{error}</p>}
      {!conflict && (
        <button type="submit" disabled={saving || !dirty}>
          Save changes
        </button>
      )}
    </form>
  );
}
