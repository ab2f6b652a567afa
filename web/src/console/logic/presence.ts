// Collision detection: who else is on the ticket, said the way a colleague would.
import type { Presence } from "../../shared/types";

/** "Sarah Mitchell" -> "Sarah M." */
export function shortName(name: string): string {
  const parts = name.trim().split(/\s+/);
  const first = parts[0] ?? name;
  const last = parts.length > 1 ? parts[parts.length - 1] : undefined;
  return last ? `${first} ${last.charAt(0)}.` : first;
}

const VERBS: Record<Presence["activity"], string> = {
  viewing: "is viewing",
  replying: "is replying",
  editing: "is editing",
};

/** One line per other agent, those acting first; presence past its expiry is ignored. */
export function presenceLines(others: Presence[], nowMs: number): string[] {
  const rank = { replying: 0, editing: 1, viewing: 2 } as const;
  const latest = new Map<string, Presence>();
  for (const p of others) {
    if (Date.parse(p.expires_at) <= nowMs) continue;
    const seen = latest.get(p.agent_id);
    if (!seen || Date.parse(p.seen_at) > Date.parse(seen.seen_at)) latest.set(p.agent_id, p);
  }
  return [...latest.values()]
    .sort((a, b) => rank[a.activity] - rank[b.activity] || a.agent_name.localeCompare(b.agent_name))
    .map((p) => `${shortName(p.agent_name)} ${VERBS[p.activity]}`);
}
