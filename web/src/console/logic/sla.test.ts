import { describe, expect, it } from "vitest";
import { formatDuration, slaBadge } from "./sla";

const NOW = Date.parse("2026-03-02T10:00:00Z");
const at = (seconds: number): string => new Date(NOW + seconds * 1000).toISOString();

describe("formatDuration", () => {
  it.each([
    [0, "0m 00s"],
    [9, "0m 09s"],
    [249, "4m 09s"],
    [3599, "59m 59s"],
    [3600, "1h 00m 00s"],
    [3 * 3600 + 5 * 60 + 12, "3h 05m 12s"],
    [86_399, "23h 59m 59s"],
    [2 * 86_400 + 4 * 3600 + 5 * 60 + 59, "2d 4h 05m"],
  ])("%i s reads %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it("never goes negative and drops fractions", () => {
    expect(formatDuration(-5)).toBe("0m 00s");
    expect(formatDuration(61.9)).toBe("1m 01s");
  });
});

describe("slaBadge", () => {
  it("counts down to the due instant, one second at a time", () => {
    const due = at(125);
    expect(slaBadge("running", due, NOW)?.label).toBe("On track · 2m 05s left");
    expect(slaBadge("running", due, NOW + 1000)?.label).toBe("On track · 2m 04s left");
    expect(slaBadge("warning", due, NOW + 65_000)?.label).toBe("Warning · 1m 00s left");
  });

  it("turns breached the moment the due instant passes, before the next poll says so", () => {
    const badge = slaBadge("warning", at(-42), NOW);
    expect(badge).toEqual({ state: "breached", label: "Breached · 0m 42s over" });
    expect(slaBadge("running", at(0), NOW)?.state).toBe("breached");
  });

  it("counts how long a breached ticket is overdue", () => {
    expect(slaBadge("breached", at(-3725), NOW)?.label).toBe("Breached · 1h 02m 05s over");
  });

  it("shows paused and met clocks without a countdown", () => {
    expect(slaBadge("paused", at(100), NOW)).toEqual({ state: "paused", label: "Paused" });
    expect(slaBadge("met", null, NOW)).toEqual({ state: "met", label: "Met" });
  });

  it("has nothing to show without an SLA", () => {
    expect(slaBadge(null, null, NOW)).toBeNull();
  });
});
