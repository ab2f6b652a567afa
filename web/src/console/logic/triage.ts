// What triage proposed for a ticket, field by field, beside what the ticket says now.
import type { Ticket, Triage, TriageField } from "../../shared/types";

export const TRIAGE_FIELDS: readonly TriageField[] = [
  "category_id",
  "priority",
  "team_id",
  "agent_id",
];

export interface TriageRow {
  field: TriageField;
  /** What triage proposes (AI or a rule); null: nothing. */
  value: string | null;
  /** 0..1 for an AI suggestion; null for a rule's. */
  confidence: number | null;
  /** The routing rule that settled the field, by id. */
  ruleId: string | null;
  /** Written to the ticket by triage (confident enough, or a rule). */
  applied: boolean;
  /** The ticket has this value now. */
  current: boolean;
}

/** One row per field triage said anything about, in the order agents read them. */
export function triageRows(triage: Triage, ticket: Pick<Ticket, TriageField>): TriageRow[] {
  const rows: TriageRow[] = [];
  for (const field of TRIAGE_FIELDS) {
    const ruleId = triage.rules[field] ?? null;
    const suggested = triage.suggested[field];
    const applied = triage.applied[field];
    const value = suggested ?? applied ?? null;
    if (value === null && ruleId === null) continue;
    rows.push({
      field,
      value,
      confidence: suggested !== undefined ? (triage.field_confidence[field] ?? null) : null,
      ruleId,
      applied: applied !== undefined,
      current: value !== null && ticket[field] === value,
    });
  }
  return rows;
}

/** Accepting writes the suggested fields that the ticket does not have yet. */
export function canAccept(triage: Triage, ticket: Pick<Ticket, TriageField>): boolean {
  if (triage.outcome !== "suggested" || triage.accepted_by) return false;
  return TRIAGE_FIELDS.some((f) => {
    const value = triage.suggested[f];
    return value !== undefined && value !== null && ticket[f] !== value;
  });
}

/** 0.9009 -> "90%". */
export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
