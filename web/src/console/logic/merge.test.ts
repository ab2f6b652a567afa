import { describe, expect, it } from "vitest";
import { type Editable, changes, fieldsUntouched, mergeAfterConflict } from "./merge";

const base: Editable = {
  status: "open",
  priority: "P3",
  category_id: "cat_a",
  team_id: "team_a",
  agent_id: null,
};

describe("changes", () => {
  it("sends only the fields the agent changed", () => {
    expect(changes(base, { ...base, priority: "P1", agent_id: "ag_1" })).toEqual({
      priority: "P1",
      agent_id: "ag_1",
    });
    expect(changes(base, { ...base })).toEqual({});
  });

  it("sends null to clear a field", () => {
    expect(changes(base, { ...base, team_id: null })).toEqual({ team_id: null });
  });
});

describe("mergeAfterConflict", () => {
  it("keeps their change to a field we left alone and re-applies ours on top", () => {
    const mine = { ...base, status: "waiting_on_customer" as const };
    const fresh = { ...base, priority: "P1" as const };
    const merge = mergeAfterConflict(base, mine, fresh);
    expect(merge.conflicts).toEqual([]);
    expect(merge.theirs).toEqual(["priority"]);
    expect(merge.patch).toEqual({ status: "waiting_on_customer" });
    expect(merge.draft).toEqual({ ...base, priority: "P1", status: "waiting_on_customer" });
  });

  it("names a field both changed to different values as a conflict, ours still proposed", () => {
    const mine = { ...base, agent_id: "ag_me" };
    const fresh = { ...base, agent_id: "ag_them" };
    const merge = mergeAfterConflict(base, mine, fresh);
    expect(merge.conflicts).toEqual(["agent_id"]);
    expect(merge.theirs).toEqual([]);
    expect(merge.patch).toEqual({ agent_id: "ag_me" });
    expect(merge.draft.agent_id).toBe("ag_me");
  });

  it("has nothing to re-apply when both made the same change", () => {
    const mine = { ...base, status: "resolved" as const };
    const merge = mergeAfterConflict(base, mine, { ...mine });
    expect(merge).toEqual({ conflicts: [], theirs: [], patch: {}, draft: mine });
  });

  it("treats a change back to the original value by them as a conflict with ours", () => {
    const mine = { ...base, team_id: "team_b" };
    const fresh = { ...base, team_id: null };
    expect(mergeAfterConflict(base, mine, fresh).conflicts).toEqual(["team_id"]);
  });
});

describe("fieldsUntouched", () => {
  it("lets ours go again when the new version changed none of the form's fields", () => {
    const mine = { ...base, priority: "P1" as const };
    expect(fieldsUntouched(mergeAfterConflict(base, mine, { ...base }))).toBe(true);
  });

  it("stops for any field someone else changed, even one we left alone", () => {
    const mine = { ...base, priority: "P1" as const };
    const fresh = { ...base, agent_id: "ag_them" };
    expect(fieldsUntouched(mergeAfterConflict(base, mine, fresh))).toBe(false);
    expect(fieldsUntouched(mergeAfterConflict(base, mine, { ...base, priority: "P2" }))).toBe(
      false,
    );
  });
});
