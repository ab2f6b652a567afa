import { describe, expect, it } from "vitest";
import type { AdminCallScript } from "../../shared/types";
import {
  addQuestion,
  emptyScript,
  moveQuestion,
  problems,
  removeQuestion,
  setTarget,
  targetsAfter,
  toBody,
  toDraft,
  updateQuestion,
} from "./scripts";

const outage: AdminCallScript = {
  id: "cs_1",
  name: "Outage",
  client_ids: ["cl_a"],
  category_ids: [],
  team_ids: [],
  active: true,
  version: 3,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  questions: [
    {
      id: "many",
      text: "Several people?",
      kind: "yes_no",
      options: [],
      branches: { no: "end" },
      next: null,
    },
    {
      id: "where",
      text: "Which office?",
      kind: "choice",
      options: ["Leeds", "York"],
      branches: { York: "count" },
      next: null,
    },
    { id: "site", text: "Which floor?", kind: "text", options: [], branches: {}, next: null },
    { id: "count", text: "How many?", kind: "text", options: [], branches: {}, next: null },
  ],
};

describe("a script in the form", () => {
  it("round-trips what the API sent", () => {
    const body = toBody(toDraft(outage));
    const { id: _id, version: _v, created_at: _c, updated_at: _u, ...fields } = outage;
    expect(body).toEqual(fields);
  });

  it("starts with one question and numbers new ones without clashing", () => {
    let draft = emptyScript();
    expect(draft.questions.map((q) => q.id)).toEqual(["q1"]);
    draft = addQuestion(addQuestion(draft));
    draft = removeQuestion(draft, 1);
    draft = addQuestion(draft);
    expect(draft.questions.map((q) => q.id)).toEqual(["q1", "q3", "q4"]);
  });

  it("sends choices as a list, and branches only on answers the question has", () => {
    let draft = toDraft(outage);
    draft = updateQuestion(draft, 1, { options: "Leeds\n\n Hull \n" });
    const where = (toBody(draft).questions as { options: string[]; branches: object }[])[1];
    expect(where?.options).toEqual(["Leeds", "Hull"]);
    expect(where?.branches).toEqual({}); // York is no longer a choice
    draft = updateQuestion(draft, 0, { kind: "text" });
    expect((toBody(draft).questions as { options: string[] }[])[0]?.options).toEqual([]);
  });

  it("sets and clears a branch and the next question", () => {
    let draft = setTarget(toDraft(outage), 0, "yes", "count");
    expect(draft.questions[0]?.branches).toEqual({ no: "end", yes: "count" });
    draft = setTarget(draft, 0, "no", "");
    expect(draft.questions[0]?.branches).toEqual({ yes: "count" });
    draft = setTarget(draft, 2, null, "end");
    expect((toBody(draft).questions as { next: string | null }[])[2]?.next).toBe("end");
  });
});

describe("targets and problems", () => {
  it("offers later questions and the end only", () => {
    const draft = toDraft(outage);
    expect(targetsAfter(draft, 1).map((t) => t.value)).toEqual(["site", "count", "end"]);
    expect(targetsAfter(draft, 3).map((t) => t.value)).toEqual(["end"]);
  });

  it("finds a branch that points back after a move, and shows it among the targets", () => {
    const draft = moveQuestion(toDraft(outage), 3, -1); // "count" before "site"
    expect(problems(draft)).toEqual({});
    const back = moveQuestion(moveQuestion(draft, 2, -1), 1, -1); // "count" first
    expect(back.questions.map((q) => q.id)).toEqual(["count", "many", "where", "site"]);
    expect(problems(back)["questions.2.branches"]).toMatch(/only jump forward/);
    expect(targetsAfter(back, 2, "count")[0]).toEqual({
      value: "count",
      label: "Q1: How many? (goes back)",
    });
  });

  it("sends what led to a removed question on to the next one", () => {
    const draft = removeQuestion(toDraft(outage), 3);
    expect(draft.questions[1]?.branches).toEqual({});
    expect(problems(draft)).toEqual({});
  });

  it("names each field the API would refuse", () => {
    let draft = emptyScript();
    draft = updateQuestion(addQuestion(draft), 1, { id: "q1", kind: "choice" });
    expect(problems(draft)).toEqual({
      name: "required",
      "questions.0.text": "required",
      "questions.1.id": "another question is q1 too",
      "questions.1.text": "required",
      "questions.1.options": "a choice needs choices, one per line",
    });
    expect(problems({ ...draft, questions: [] }).questions).toBe("a script needs a question");
  });
});
