// Time on the ticket: the agent's timer (viewing or doing, one per agent and ticket, kept on
// the server so every tab sees the same clock), the entry stopping proposes, and the ticket's
// time entries with what the client's contract makes of each (covered, billable, chargeable).
import { useCallback, useEffect, useState } from "react";
import { ApiError, get, request } from "../shared/api";
import { formatWhen, useNow } from "../shared/clock";
import { message } from "../shared/errors";
import { usePolling } from "../shared/polling";
import type {
  BillingClass,
  BillingLine,
  InvoiceDraft,
  Proposal,
  TimeEntry,
  Timer,
  TimerMode,
} from "../shared/types";
import { nameOf, useDirectory } from "./directory";
import { formatClock, periodOf, proposedMinutes, timerSeconds } from "./logic/timer";

const TIMER_POLL_MS = 5000; // another tab or the viewing timer started by opening the ticket
const WORK_TYPES = ["remote", "onsite", "phone", "travel", "project"];

export interface TicketTimer {
  timer: Timer | null;
  fetchedAt: number;
  proposal: Proposal | null;
  error: string | null;
  busy: boolean;
  start: (mode?: TimerMode) => Promise<void>;
  pause: () => Promise<void>;
  resume: () => Promise<void>;
  stop: () => Promise<void>;
  confirm: (entry: { minutes: number; work_type: string; note: string }) => Promise<boolean>;
  discard: () => Promise<void>;
}

export function useTicketTimer(number: number, onEntry: () => Promise<void>): TicketTimer {
  const [timer, setTimerState] = useState<{ timer: Timer | null; at: number }>({
    timer: null,
    at: 0,
  });
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `/api/tickets/${number}/timer`;

  const put = useCallback(
    (next: Timer | null) => setTimerState({ timer: next, at: Date.now() }),
    [],
  );

  const load = useCallback(async () => {
    try {
      const found = await get<Timer>(path);
      put(found);
      if (found.state === "stopped") {
        // Stopping again changes nothing and answers the proposal, e.g. after a reload.
        const stopped = await request<{ proposal: Proposal }>("POST", `${path}/stop`);
        setProposal((seen) => seen ?? stopped.proposal);
      } else {
        setProposal(null);
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        put(null);
        setProposal(null);
      } else throw e;
    }
  }, [path, put]);

  useEffect(() => {
    void load().catch((e: unknown) => setError(message(e)));
  }, [load]);
  usePolling(load, TIMER_POLL_MS);

  const act = useCallback(
    async (run: () => Promise<void>): Promise<boolean> => {
      setBusy(true);
      try {
        await run();
        setError(null);
        return true;
      } catch (e) {
        setError(message(e));
        await load().catch(() => undefined);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [load],
  );

  return {
    timer: timer.timer,
    fetchedAt: timer.at,
    proposal,
    error,
    busy,
    start: async (mode: TimerMode = "doing") => {
      await act(async () => put(await request<Timer>("POST", path, { body: { mode } })));
    },
    pause: async () => {
      await act(async () => put(await request<Timer>("POST", `${path}/pause`)));
    },
    resume: async () => {
      await act(async () => put(await request<Timer>("POST", `${path}/resume`)));
    },
    stop: async () => {
      await act(async () => {
        const out = await request<{ timer: Timer; proposal: Proposal }>("POST", `${path}/stop`);
        put(out.timer);
        setProposal(out.proposal);
      });
    },
    confirm: (entry) =>
      act(async () => {
        await request<TimeEntry>("POST", `${path}/confirm`, { body: entry });
        put(null);
        setProposal(null);
        await onEntry();
      }),
    discard: async () => {
      await act(async () => {
        await request("DELETE", path);
        put(null);
        setProposal(null);
      });
    },
  };
}

const CLASS_NAMES: Record<BillingClass, string> = {
  covered: "Covered",
  billable: "Billable",
  chargeable: "Chargeable",
  non_billable: "Non-billable",
};

/** What the contract makes of each entry: the billing preview of the periods they fall in. */
function useClassification(clientId: string, entries: TimeEntry[]): Map<string, BillingLine[]> {
  const [lines, setLines] = useState(new Map<string, BillingLine[]>());
  // Read again when an entry comes, goes or changes; not on every poll of the ticket.
  const key = entries.map((e) => `${e.id}:${e.version}`).join(",");
  const periods = [...new Set(entries.map((e) => e.billing_period ?? periodOf(e.started_at)))]
    .sort()
    .join(",");
  // An API that classifies entries itself saves the preview.
  const classified = entries.every((e) => e.billing_class !== undefined);
  useEffect(() => {
    if (!key || !periods || classified) return;
    let current = true;
    Promise.all(
      periods
        .split(",")
        .map((period) =>
          get<InvoiceDraft>(`/api/clients/${clientId}/billing/preview`, { period }).catch(
            () => null,
          ),
        ),
    )
      .then((drafts) => {
        if (!current) return;
        const out = new Map<string, BillingLine[]>();
        for (const draft of drafts) {
          for (const line of draft?.billing_lines ?? []) {
            out.set(line.entry_id, [...(out.get(line.entry_id) ?? []), line]);
          }
        }
        setLines(out);
      })
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [clientId, periods, key, classified]);
  if (classified && entries.length) {
    return new Map(
      entries.map((e) => [
        e.id,
        [
          {
            entry_id: e.id,
            billing_class: e.billing_class as BillingClass,
            reason: e.billing_reason ?? "",
            amount: "",
          } as BillingLine,
        ],
      ]),
    );
  }
  return lines;
}

export function TimePanel({
  clock,
  clientId,
  entries,
}: {
  clock: TicketTimer;
  clientId: string;
  entries: TimeEntry[];
}) {
  const { agents } = useDirectory();
  const now = useNow();
  const { timer, proposal } = clock;
  const seconds = timer ? timerSeconds(timer, clock.fetchedAt, now) : 0;
  const classes = useClassification(clientId, entries);

  return (
    <section className="time" aria-label="Time">
      <h2>Time</h2>
      <div className="timer-row">
        <span
          role="timer"
          aria-label="Timer"
          className={`clock ${timer?.state ?? "idle"}`}
          aria-live="off"
        >
          {formatClock(seconds)}
        </span>
        <span className="muted">
          {timer
            ? `${timer.mode === "viewing" ? "Viewing" : "Doing"} · ${timer.state}`
            : "No timer running"}
        </span>
      </div>
      <div className="buttons">
        {!timer && (
          <button type="button" disabled={clock.busy} onClick={() => void clock.start("doing")}>
            Start timer
          </button>
        )}
        {timer?.state === "running" && (
          <button type="button" disabled={clock.busy} onClick={() => void clock.pause()}>
            Pause
          </button>
        )}
        {timer?.state === "paused" && (
          <button type="button" disabled={clock.busy} onClick={() => void clock.resume()}>
            Resume
          </button>
        )}
        {timer && timer.state !== "stopped" && (
          <button type="button" disabled={clock.busy} onClick={() => void clock.stop()}>
            Stop
          </button>
        )}
      </div>
      {timer?.state === "stopped" && proposal && (
        <ProposalForm key={timer.id} proposal={proposal} clock={clock} />
      )}
      {timer?.state === "stopped" && !proposal && (
        <p className="muted">
          Stopped at {formatClock(seconds)}: {proposedMinutes(seconds)} min
        </p>
      )}
      {clock.error && <p role="alert">{clock.error}</p>}
      {entries.length > 0 && (
        <ul className="plain entries" aria-label="Time entries">
          {entries.map((e) => {
            const parts = classes.get(e.id) ?? [];
            return (
              <li key={e.id}>
                <strong>{e.minutes} min</strong> {e.work_type} · {nameOf(agents, e.agent_id)} ·{" "}
                <time dateTime={e.started_at}>{formatWhen(e.started_at)}</time>{" "}
                {parts.map((p, i) => (
                  <span
                    key={`${p.billing_class}-${i}`}
                    className={`bill bill-${p.billing_class}`}
                    title={p.reason}
                  >
                    {CLASS_NAMES[p.billing_class]}
                    {p.billing_class !== "covered" &&
                      p.billing_class !== "non_billable" &&
                      ` ${p.amount}`}
                  </span>
                ))}
                {parts[0] && <div className="muted reason">{parts[0].reason}</div>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function ProposalForm({ proposal, clock }: { proposal: Proposal; clock: TicketTimer }) {
  const [minutes, setMinutes] = useState(String(proposal.minutes));
  const [workType, setWorkType] = useState(proposal.work_type);
  const [note, setNote] = useState(proposal.note);
  const valid = /^\d+$/.test(minutes) && Number(minutes) >= 1 && Number(minutes) <= 1440;
  return (
    <form
      className="proposal"
      aria-label="Time entry"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) void clock.confirm({ minutes: Number(minutes), work_type: workType, note });
      }}
    >
      <label>
        Minutes
        <input
          type="number"
          min={1}
          max={1440}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
        />
      </label>
      <label>
        Work type
        <input
          list="work-types"
          value={workType}
          pattern="[a-z0-9_\-]+"
          onChange={(e) => setWorkType(e.target.value.toLowerCase())}
        />
        <datalist id="work-types">
          {WORK_TYPES.map((w) => (
            <option key={w} value={w} />
          ))}
        </datalist>
      </label>
      <label className="wide">
        Note
        <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="buttons">
        <button type="submit" disabled={clock.busy || !valid}>
          Save time entry
        </button>
        <button type="button" disabled={clock.busy} onClick={() => void clock.discard()}>
          Discard
        </button>
      </div>
    </form>
  );
}
