// The phone in the console: a ringing call pops the caller's record (who, which client, the
// contract, notes, open tickets and the call script); answering starts the call's clock; at
// hang-up the call is logged on the ticket the agent picked, or on a new phone ticket made
// from the call, which the pop-up then offers to open.
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { get, request } from "../shared/api";
import { useNow } from "../shared/clock";
import { message } from "../shared/errors";
import { usePolling } from "../shared/polling";
import { followLink, navigate } from "../shared/router";
import type { Call, CallScript, MajorIncident, ScreenPop } from "../shared/types";
import { statusLabel } from "../shared/types";
import { nameOf, useDirectory } from "./directory";
import {
  type PopEntry,
  callerLabel,
  choicesOf,
  popStatus,
  popsReducer,
  walkScript,
} from "./logic/calls";
import { formatClock } from "./logic/timer";
import { type SocketStatus, usePhoneSocket } from "./phoneSocket";

const CALL_POLL_MS = 1000; // a GET of one item: hang-up shows within a second
const OPEN_SHOWN = 5; // the caller's own open tickets come first

const STATUS_TEXT: Record<SocketStatus, string> = {
  off: "Phone: not set up",
  connecting: "Phone: connecting…",
  open: "Phone: connected",
  ready: "Phone: connected",
  closed: "Phone: reconnecting…",
  refused: "Phone: sign in again",
};

export function PhoneLayer({
  url,
  onIncident,
}: {
  url: string | null;
  onIncident: (incident: MajorIncident) => void;
}) {
  const [pops, dispatch] = useReducer(popsReducer, []);
  const incident = useRef(onIncident);
  useEffect(() => {
    incident.current = onIncident;
  });
  const status = usePhoneSocket(url, (data) => {
    if (data.type === "screen_pop" && typeof data.call === "object" && data.call !== null) {
      dispatch({ type: "pop", pop: data as unknown as ScreenPop });
    } else if (data.type === "major_incident" && typeof data.incident === "object") {
      incident.current(data.incident as MajorIncident);
    }
  });
  return (
    <>
      <span className={`phone-status phone-${status}`} role="status" data-state={status}>
        {STATUS_TEXT[status]}
      </span>
      {pops.length > 0 &&
        createPortal(
          <div className="pops">
            {pops.slice(0, 3).map((entry) => (
              <ScreenPopCard key={entry.id} entry={entry} dispatch={dispatch} />
            ))}
          </div>,
          document.body,
        )}
    </>
  );
}

type Dispatch = React.Dispatch<Parameters<typeof popsReducer>[1]>;

function ScreenPopCard({ entry, dispatch }: { entry: PopEntry; dispatch: Dispatch }) {
  const { me, agents, clients } = useDirectory();
  const now = useNow();
  const { pop } = entry;
  const call = entry.call;
  const status = popStatus(entry, me.id);
  const [error, setError] = useState<string | null>(null);
  const ticketNumber = call?.ticket_number ?? pop.call.ticket_number;
  const clientId = call?.client_id ?? pop.client?.id ?? null;
  // Read the call until there is nothing more to learn: logged, missed, someone else's, or
  // waiting for this agent to say which client called.
  const settled =
    Boolean(call?.logged) ||
    status === "missed" ||
    status === "taken" ||
    (status === "ended" && clientId === null);
  const answeredAt = call?.answered_at ?? pop.call.answered_at;
  const who = callerLabel(pop);

  const refresh = useCallback(async () => {
    dispatch({ type: "call", call: await get<Call>(`/api/calls/${entry.id}`) });
  }, [dispatch, entry.id]);
  useEffect(() => {
    void refresh().catch(() => undefined);
  }, [refresh]);
  usePolling(refresh, CALL_POLL_MS, !settled);

  const patch = useCallback(
    async (body: Record<string, unknown>) => {
      try {
        dispatch({
          type: "call",
          call: await request<Call>("PATCH", `/api/calls/${entry.id}`, { body }),
        });
        setError(null);
      } catch (e) {
        setError(message(e));
      }
    },
    [dispatch, entry.id],
  );

  let clock: string | null = null;
  if (answeredAt) {
    const end = call?.ended_at ? Date.parse(call.ended_at) : now;
    clock = formatClock((end - Date.parse(answeredAt)) / 1000);
  }
  const heading =
    status === "ringing"
      ? `Incoming call from ${who}`
      : status === "mine"
        ? `On call with ${who}`
        : status === "taken"
          ? `${who}: answered by ${nameOf(agents, call?.agent_id ?? pop.call.agent_id)}`
          : status === "missed"
            ? `Missed call from ${who}`
            : `Call with ${who} ended`;

  const dismiss = (): void => dispatch({ type: "dismiss", id: entry.id });
  const open = (n: number): void => {
    navigate(`/tickets/${n}`);
    dismiss();
  };

  return (
    <section className={`pop pop-${status}`} role="dialog" aria-label={heading}>
      <header>
        <h2>{heading}</h2>
        {clock && (
          <span className="clock running" role="timer" aria-label="Call time">
            {clock}
          </span>
        )}
        <button type="button" className="small" aria-label="Close" onClick={dismiss}>
          ×
        </button>
      </header>
      {(pop.vip || pop.unsupported || pop.popup_notes.length > 0) && (
        <div className="notes" aria-label="Notes for this caller">
          {pop.vip && <p className="flag flag-vip">VIP</p>}
          {pop.unsupported && <p className="flag flag-bad">Not supported: check first</p>}
          {pop.popup_notes.map((n) => (
            <p key={n}>{n}</p>
          ))}
        </div>
      )}
      <dl className="pop-facts">
        <dt>Caller</dt>
        <dd>
          {pop.caller ? (
            <>
              <strong>{pop.caller.name}</strong>
              {pop.caller.job_title && `, ${pop.caller.job_title}`}
            </>
          ) : (
            <span className="muted">Not recognised</span>
          )}{" "}
          <span className="muted">{pop.call.caller_e164 ?? pop.call.caller_raw ?? "withheld"}</span>
          {pop.other_matches.length > 0 && (
            <span className="muted">
              {" "}
              (shared line: also {pop.other_matches.map((p) => p.name).join(", ")})
            </span>
          )}
        </dd>
        <dt>Client</dt>
        <dd>
          {clientId ? (
            (pop.client?.name ?? nameOf(clients, clientId))
          ) : (
            <label>
              <span className="muted">Unknown: who is calling?</span>
              <select
                value=""
                onChange={(e) => e.target.value && void patch({ client_id: e.target.value })}
              >
                <option value="">Choose the client…</option>
                {clients.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </dd>
        <dt>Contract</dt>
        <dd>
          {pop.contract ? (
            `${pop.contract.name} (${pop.contract.kind.replaceAll("_", " ")})`
          ) : (
            <span className="flag flag-bad">None in force: chargeable</span>
          )}
        </dd>
      </dl>
      {status === "ended" || status === "missed" ? (
        <AfterCall call={call} status={status} onOpen={open} />
      ) : (
        <>
          {pop.open_tickets.length > 0 && (
            <fieldset className="log-on">
              <legend>Log this call on</legend>
              <label>
                <input
                  type="radio"
                  name={`log-${entry.id}`}
                  checked={ticketNumber === null}
                  disabled={ticketNumber !== null}
                  readOnly
                />
                A new ticket
              </label>
              {pop.open_tickets.slice(0, OPEN_SHOWN).map((t) => (
                <label key={t.number}>
                  <input
                    type="radio"
                    name={`log-${entry.id}`}
                    checked={ticketNumber === t.number}
                    onChange={() => void patch({ ticket_number: t.number })}
                  />
                  <a href={`/tickets/${t.number}`} onClick={followLink}>
                    #{t.number}
                  </a>{" "}
                  {t.subject}{" "}
                  <span className="muted">
                    {t.priority} · {statusLabel(t.status)}
                    {t.mine && " · theirs"}
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {pop.script && (
            <ScriptForm
              key={pop.script.id}
              callId={entry.id}
              script={pop.script}
              saved={call?.script_answers ?? {}}
            />
          )}
          <CallNotes saved={call?.notes ?? ""} onSave={(notes) => void patch({ notes })} />
          {status === "mine" && (
            <p className="muted">
              The time from answer to hang-up is logged on the ticket when you hang up.
            </p>
          )}
        </>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

function AfterCall({
  call,
  status,
  onOpen,
}: {
  call: Call | null;
  status: ReturnType<typeof popStatus>;
  onOpen: (n: number) => void;
}) {
  if (status === "missed") {
    if (call?.callback_ticket) {
      return (
        <p>
          Call-back ticket{" "}
          <button type="button" onClick={() => onOpen(call.callback_ticket as number)}>
            Open ticket #{call.callback_ticket}
          </button>
        </p>
      );
    }
    return (
      <p className="muted">
        Missed. It waits under unmatched calls until someone names the client.
      </p>
    );
  }
  if (call?.logged && call.ticket_number) {
    return (
      <p>
        Logged on ticket #{call.ticket_number}
        {call.time_entry_id && " with its time"}.{" "}
        <button type="button" onClick={() => onOpen(call.ticket_number as number)}>
          Open ticket #{call.ticket_number}
        </button>
      </p>
    );
  }
  if (call && !call.client_id) {
    return <p className="muted">Choose the client above and the call is logged on a ticket.</p>;
  }
  return <p className="muted">Logging the call…</p>;
}

function CallNotes({ saved, onSave }: { saved: string; onSave: (notes: string) => void }) {
  const [text, setText] = useState(saved);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!dirty) setText(saved);
  }, [saved, dirty]);
  const save = (): void => {
    if (dirty) {
      onSave(text);
      setDirty(false);
    }
  };
  return (
    <label className="call-notes">
      Call notes
      <textarea
        rows={3}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setDirty(true);
        }}
        onBlur={save}
        placeholder="What they said: goes on the ticket at hang-up"
      />
    </label>
  );
}

function ScriptForm({
  callId,
  script,
  saved,
}: {
  callId: string;
  script: CallScript;
  saved: Record<string, string>;
}) {
  const [answers, setAnswers] = useState<Record<string, string>>(saved);
  const [error, setError] = useState<string | null>(null);
  const walk = walkScript(script, answers);

  const send = async (next: Record<string, string>): Promise<void> => {
    const kept = walkScript(script, next).answers;
    setAnswers(kept);
    try {
      await request("PUT", `/api/calls/${callId}/script-answers`, {
        body: { script_id: script.id, answers: kept },
      });
      setError(null);
    } catch (e) {
      setError(message(e));
    }
  };

  const shown = [...walk.path.map((p) => p.question), ...(walk.next ? [walk.next] : [])];
  return (
    <fieldset className="script" aria-label={`Call script: ${script.name}`}>
      <legend>{script.name}</legend>
      {shown.map((q) => {
        const choices = choicesOf(q);
        const value = answers[q.id] ?? "";
        return (
          <label key={q.id}>
            {q.text}
            {choices.length ? (
              <select
                value={value}
                onChange={(e) => void send({ ...answers, [q.id]: e.target.value })}
              >
                <option value="">—</option>
                {choices.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            ) : (
              <TextAnswer value={value} onDone={(v) => void send({ ...answers, [q.id]: v })} />
            )}
          </label>
        );
      })}
      {!walk.next && <p className="muted">Script complete.</p>}
      {error && <p role="alert">{error}</p>}
    </fieldset>
  );
}

function TextAnswer({ value, onDone }: { value: string; onDone: (v: string) => void }) {
  const [text, setText] = useState(value);
  return (
    <input
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={() => text !== value && onDone(text)}
      onKeyDown={(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          if (text !== value) onDone(text);
        }
      }}
    />
  );
}
