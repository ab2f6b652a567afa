import { describe, expect, it } from "vitest";
import type { Timer } from "../../shared/types";
import { formatClock, formatMinutes, proposedMinutes, timerSeconds } from "./timer";

const timer = (state: Timer["state"], elapsed: number): Timer => ({
  id: "tmr_1",
  ticket_number: 1,
  client_id: "cl_1",
  agent_id: "ag_1",
  mode: "doing",
  state,
  started_at: "2026-11-23T10:00:00Z",
  running_since: null,
  seconds: elapsed,
  stopped_at: null,
  work_type: "remote",
  note: "",
  version: 1,
  updated_at: "2026-11-23T10:00:00Z",
  elapsed_seconds: elapsed,
});

describe("formatClock", () => {
  it("shows minutes and seconds, hours once there are any", () => {
    expect(formatClock(0)).toBe("00:00");
    expect(formatClock(754)).toBe("12:34");
    expect(formatClock(3754.9)).toBe("1:02:34");
    expect(formatClock(-5)).toBe("00:00");
  });
});

describe("formatMinutes", () => {
  it("reads like a person would say it", () => {
    expect(formatMinutes(45)).toBe("45 min");
    expect(formatMinutes(77)).toBe("1 h 17 min");
    expect(formatMinutes(120)).toBe("2 h");
    expect(formatMinutes(3000)).toBe("2 d 2 h");
    expect(formatMinutes(2 * 1440 + 10)).toBe("2 d");
  });
});

describe("timerSeconds", () => {
  it("runs on from the server's count while running", () => {
    expect(timerSeconds(timer("running", 60), 1_000, 11_000)).toBe(70);
  });

  it("stands still when paused or stopped", () => {
    expect(timerSeconds(timer("paused", 60), 1_000, 11_000)).toBe(60);
    expect(timerSeconds(timer("stopped", 60), 1_000, 11_000)).toBe(60);
  });
});

describe("proposedMinutes", () => {
  it("rounds to whole minutes, at least one, at most a day", () => {
    expect(proposedMinutes(5)).toBe(1);
    expect(proposedMinutes(150)).toBe(3);
    expect(proposedMinutes(10 ** 6)).toBe(1440);
  });
});
