import { describe, expect, it } from "vitest";
import type { Call, CallScript, ScreenPop } from "../../shared/types";
import { callerLabel, popStatus, popsReducer, walkScript } from "./calls";

const pop = (id: string, state: Call["state"] = "ringing", agent: string | null = null) =>
  ({
    type: "screen_pop",
    stage: state === "answered" ? "answered" : "ringing",
    call: {
      id,
      provider: "generic",
      direction: "inbound",
      state,
      caller_raw: "01623555014",
      caller_e164: "+441623555014",
      dialled_e164: null,
      matched_by: "end_user",
      agent_id: agent,
      team_id: null,
      started_at: "2026-11-23T10:00:00Z",
      answered_at: null,
      ticket_number: null,
    },
    caller: null,
    other_matches: [],
    client: { id: "cl_1", name: "Acme Ltd", unsupported: false, main_phone: null },
    contract: null,
    vip: false,
    unsupported: false,
    popup_notes: [],
    open_tickets: [],
    script: null,
  }) satisfies ScreenPop;

describe("popsReducer", () => {
  it("adds a new call first and updates a known one in place", () => {
    let state = popsReducer([], { type: "pop", pop: pop("call_a") });
    state = popsReducer(state, { type: "pop", pop: pop("call_b") });
    expect(state.map((e) => e.id)).toEqual(["call_b", "call_a"]);
    state = popsReducer(state, { type: "pop", pop: pop("call_a", "answered", "ag_me") });
    expect(state.map((e) => e.id)).toEqual(["call_b", "call_a"]);
    expect(state[1]?.pop.stage).toBe("answered");
    expect(popsReducer(state, { type: "dismiss", id: "call_b" }).map((e) => e.id)).toEqual([
      "call_a",
    ]);
  });
});

describe("popStatus", () => {
  it("tells ringing, mine, taken by someone else, ended and missed apart", () => {
    expect(popStatus({ id: "c", pop: pop("c"), call: null }, "ag_me")).toBe("ringing");
    expect(popStatus({ id: "c", pop: pop("c", "answered", "ag_me"), call: null }, "ag_me")).toBe(
      "mine",
    );
    expect(popStatus({ id: "c", pop: pop("c", "answered", "ag_x"), call: null }, "ag_me")).toBe(
      "taken",
    );
    const ended = { ...pop("c").call, state: "missed" } as unknown as Call;
    expect(popStatus({ id: "c", pop: pop("c"), call: ended }, "ag_me")).toBe("missed");
  });
});

describe("callerLabel", () => {
  it("names the caller and client, else the number", () => {
    expect(callerLabel(pop("c"))).toBe("+441623555014 (Acme Ltd)");
  });
});

const script: CallScript = {
  id: "cs_1",
  name: "Triage",
  questions: [
    {
      id: "down",
      text: "Is it down for everyone?",
      kind: "yes_no",
      options: [],
      branches: { no: "who" },
      next: null,
    },
    { id: "since", text: "Since when?", kind: "text", options: [], branches: {}, next: "end" },
    { id: "who", text: "Who is affected?", kind: "text", options: [], branches: {}, next: null },
  ],
};

describe("walkScript", () => {
  it("follows branches and stops at the first question not answered", () => {
    expect(walkScript(script, {}).next?.id).toBe("down");
    const walk = walkScript(script, { down: "No" });
    expect(walk.path.map((p) => p.question.id)).toEqual(["down"]);
    expect(walk.next?.id).toBe("who");
  });

  it("ends where the script says and drops answers off the path", () => {
    const walk = walkScript(script, { down: "yes", since: "9am", who: "Bob" });
    expect(walk.next).toBeNull();
    expect(walk.answers).toEqual({ down: "yes", since: "9am" });
  });
});
