// SLA badges: the state the API gave, moved on by the clock between polls, and the time left
// to the due instant, counted down every second.
import type { SlaState } from "../../shared/types";

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const two = (n: number): string => String(n).padStart(2, "0");

/**
 * A duration in seconds, to the second inside a day so a badge visibly counts down:
 * 4m 09s, 3h 05m 12s; beyond a day seconds are noise: 2d 4h 05m.
 */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const minutes = `${two(Math.floor((s % HOUR) / MINUTE))}m`;
  if (s >= DAY) return `${Math.floor(s / DAY)}d ${Math.floor((s % DAY) / HOUR)}h ${minutes}`;
  if (s >= HOUR) return `${Math.floor(s / HOUR)}h ${minutes} ${two(s % MINUTE)}s`;
  return `${Math.floor(s / MINUTE)}m ${two(s % MINUTE)}s`;
}

export interface SlaBadge {
  state: SlaState;
  label: string; // what the badge says, e.g. "Warning · 4m 09s left"
}

const NAMES: Record<SlaState, string> = {
  running: "On track",
  warning: "Warning",
  breached: "Breached",
  paused: "Paused",
  met: "Met",
};

/**
 * The badge of a ticket at `nowMs`. A running or warning clock whose due instant has passed is
 * shown breached at once, without waiting for the next poll or the server's sweep.
 */
export function slaBadge(
  state: SlaState | null,
  dueAt: string | null,
  nowMs: number,
): SlaBadge | null {
  if (state === null) return null;
  if (dueAt === null || state === "paused" || state === "met") {
    return { state, label: NAMES[state] };
  }
  const left = (Date.parse(dueAt) - nowMs) / 1000;
  if (left <= 0) {
    return { state: "breached", label: `${NAMES.breached} · ${formatDuration(-left)} over` };
  }
  return { state, label: `${NAMES[state]} · ${formatDuration(left)} left` };
}
