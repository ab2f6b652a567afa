import { describe, expect, it } from "vitest";
import type { Presence } from "../../shared/types";
import { presenceLines, shortName } from "./presence";

const NOW = Date.parse("2026-03-02T10:00:00Z");

function seen(name: string, activity: Presence["activity"], ago = 1, id = name): Presence {
  return {
    ticket_number: 1,
    agent_id: id,
    agent_name: name,
    activity,
    seen_at: new Date(NOW - ago * 1000).toISOString(),
    expires_at: new Date(NOW - ago * 1000 + 45_000).toISOString(),
  };
}

describe("shortName", () => {
  it.each([
    ["Sarah Mitchell", "Sarah M."],
    ["Mary Anne de Vries", "Mary V."],
    ["Cher", "Cher"],
    ["  Tom   Okafor ", "Tom O."],
  ])("%s -> %s", (name, short) => {
    expect(shortName(name)).toBe(short);
  });
});

describe("presenceLines", () => {
  it("says who is replying before who is viewing", () => {
    const lines = presenceLines(
      [seen("Tom Okafor", "viewing"), seen("Sarah Mitchell", "replying")],
      NOW,
    );
    expect(lines).toEqual(["Sarah M. is replying", "Tom O. is viewing"]);
  });

  it("ignores presence past its expiry", () => {
    expect(presenceLines([seen("Tom Okafor", "viewing", 60)], NOW)).toEqual([]);
  });

  it("keeps each agent's latest activity only", () => {
    const lines = presenceLines(
      [seen("Tom Okafor", "replying", 20, "ag_1"), seen("Tom Okafor", "viewing", 1, "ag_1")],
      NOW,
    );
    expect(lines).toEqual(["Tom O. is viewing"]);
  });
});
