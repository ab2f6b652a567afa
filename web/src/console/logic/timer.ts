// The ticket's timer as the agent sees it: a clock that runs between the server's answers.
import type { Timer } from "../../shared/types";

const two = (n: number): string => String(n).padStart(2, "0");

/** 754 -> "12:34", 3754 -> "1:02:34". */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const rest = `${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  return hours ? `${hours}:${rest}` : rest;
}

/** 77 -> "1 h 17 min", 45 -> "45 min", 120 -> "2 h", 3000 -> "2 d 2 h" (days of 24 h). */
export function formatMinutes(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  if (m < 60) return `${m} min`;
  if (m >= 24 * 60) {
    const hours = Math.round((m % (24 * 60)) / 60);
    const days = Math.floor(m / (24 * 60)) + (hours === 24 ? 1 : 0);
    return hours % 24 ? `${days} d ${hours} h` : `${days} d`;
  }
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

/**
 * Seconds on the clock at `nowMs`: what the server counted when it answered (`fetchedAtMs`),
 * plus the time since, while it runs. Paused and stopped timers stand still.
 */
export function timerSeconds(timer: Timer, fetchedAtMs: number, nowMs: number): number {
  if (timer.state !== "running") return timer.elapsed_seconds;
  return timer.elapsed_seconds + Math.max(0, (nowMs - fetchedAtMs) / 1000);
}

/** The minutes stopping would propose now: whole minutes, at least one (as the API rounds). */
export function proposedMinutes(seconds: number): number {
  return Math.max(1, Math.min(24 * 60, Math.round(seconds / 60)));
}

/** The billing period (YYYY-MM) an entry falls in when the API has not said. */
export function periodOf(iso: string): string {
  return iso.slice(0, 7);
}
