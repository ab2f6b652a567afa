// A change refused with 409 (someone saved the ticket since we read it): compare what we
// started from, what we chose and what is there now, so the agent sees the fresh values and
// re-applies on purpose. Nothing is ever overwritten silently. When no field of the form moved
// (a reply, a note or the SLA clocks made the new version), ours simply goes again.
import type { Ticket } from "../../shared/types";

export const EDITABLE = ["status", "priority", "category_id", "team_id", "agent_id"] as const;
export type Field = (typeof EDITABLE)[number];
export type Editable = Pick<Ticket, Field>;

export function editable(ticket: Editable): Editable {
  return {
    status: ticket.status,
    priority: ticket.priority,
    category_id: ticket.category_id,
    team_id: ticket.team_id,
    agent_id: ticket.agent_id,
  };
}

/** The fields of `draft` that differ from `base`: the body of the PATCH. */
export function changes(base: Editable, draft: Editable): Partial<Editable> {
  const out: Partial<Editable> = {};
  for (const field of EDITABLE) {
    if (draft[field] !== base[field]) Object.assign(out, { [field]: draft[field] });
  }
  return out;
}

export interface Merge {
  /** Fields both sides changed, to different values: the agent must choose. */
  conflicts: Field[];
  /** Fields only the other person changed: taken as they are now. */
  theirs: Field[];
  /** Our changes still to send against the fresh version (conflicting ones included). */
  patch: Partial<Editable>;
  /** The fresh values with our changes on top: the form after "re-apply". */
  draft: Editable;
}

export function mergeAfterConflict(base: Editable, mine: Editable, fresh: Editable): Merge {
  const conflicts: Field[] = [];
  const theirs: Field[] = [];
  const patch: Partial<Editable> = {};
  const draft = editable(fresh);
  for (const field of EDITABLE) {
    const changedByMe = mine[field] !== base[field];
    const changedByThem = fresh[field] !== base[field];
    if (changedByThem && !changedByMe) theirs.push(field);
    if (changedByMe && mine[field] !== fresh[field]) {
      if (changedByThem) conflicts.push(field);
      Object.assign(patch, { [field]: mine[field] });
      Object.assign(draft, { [field]: mine[field] });
    }
  }
  return { conflicts, theirs, patch, draft };
}

/** No field of the form was changed by anyone else: nothing of theirs is at stake. */
export function fieldsUntouched(merge: Merge): boolean {
  return merge.conflicts.length === 0 && merge.theirs.length === 0;
}
