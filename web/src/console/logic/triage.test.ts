import { describe, expect, it } from "vitest";
import type { Ticket, Triage, TriageField } from "../../shared/types";
import { canAccept, percent, triageRows } from "./triage";

const base: Triage = {
  ticket_number: 9,
  method: "vector",
  outcome: "suggested",
  confidence: 0.78,
  threshold: 0.95,
  suggested: { category_id: "cat_email", agent_id: "ag_amy" },
  field_confidence: { category_id: 0.78, agent_id: 0.4 },
  applied: {},
  rules: { priority: "rule_outage" },
  estimated_minutes: 77,
  neighbours: [],
  reasoning: null,
  model: null,
  fallbacks: [],
  overrides: {},
  accepted_by: null,
  created_at: "2026-11-23T10:00:00Z",
};

const ticket = (over: Partial<Pick<Ticket, TriageField>> = {}): Pick<Ticket, TriageField> => ({
  category_id: null,
  priority: "P1",
  team_id: null,
  agent_id: null,
  ...over,
});

describe("triageRows", () => {
  it("lists suggested and rule-settled fields in reading order", () => {
    const rows = triageRows({ ...base, applied: { priority: "P1" } }, ticket());
    expect(rows.map((r) => r.field)).toEqual(["category_id", "priority", "agent_id"]);
    expect(rows[0]).toMatchObject({ value: "cat_email", confidence: 0.78, current: false });
    expect(rows[1]).toMatchObject({ value: "P1", ruleId: "rule_outage", applied: true });
    expect(rows[1]?.confidence).toBeNull();
  });

  it("marks what the ticket already has", () => {
    const rows = triageRows(base, ticket({ category_id: "cat_email" }));
    expect(rows[0]?.current).toBe(true);
  });
});

describe("canAccept", () => {
  it("offers a suggestion the ticket does not have yet", () => {
    expect(canAccept(base, ticket())).toBe(true);
  });

  it("not once accepted, applied, or already on the ticket", () => {
    expect(canAccept({ ...base, accepted_by: "ag_1" }, ticket())).toBe(false);
    expect(canAccept({ ...base, outcome: "applied" }, ticket())).toBe(false);
    expect(canAccept(base, ticket({ category_id: "cat_email", agent_id: "ag_amy" }))).toBe(false);
  });
});

describe("percent", () => {
  it("rounds to whole percent", () => {
    expect(percent(0.9009)).toBe("90%");
    expect(percent(1)).toBe("100%");
  });
});
