// The call-script editor's pure part: a script as the form holds it (choices as lines, "" for
// "the next question"), the edits that keep its branches pointing somewhere (a question moved,
// removed or given other choices), and the API's own rules checked before sending: unique
// question ids, a choice has choices, branches only jump forward (so every walk ends).
import type { AdminCallScript, ScriptQuestion } from "../../shared/types";

export type QuestionKind = ScriptQuestion["kind"];
export const END = "end";
const QUESTION_ID = /^[a-z0-9_-]+$/;

export interface QuestionDraft {
  id: string;
  text: string;
  kind: QuestionKind;
  /** The choices of a "choice" question, one per line. */
  options: string;
  /** Answer -> the question to ask next (its id) or "end"; answers not listed go to `next`. */
  branches: Record<string, string>;
  /** Where any other answer goes: "" is the next question in order. */
  next: string;
}

export interface ScriptDraft {
  name: string;
  client_ids: string[];
  category_ids: string[];
  team_ids: string[];
  active: boolean;
  questions: QuestionDraft[];
}

export interface Target {
  value: string;
  label: string;
}

function blank(id: string): QuestionDraft {
  return { id, text: "", kind: "text", options: "", branches: {}, next: "" };
}

export function emptyScript(): ScriptDraft {
  return {
    name: "",
    client_ids: [],
    category_ids: [],
    team_ids: [],
    active: true,
    questions: [blank("q1")],
  };
}

export function toDraft(script: AdminCallScript): ScriptDraft {
  return {
    name: script.name,
    client_ids: [...script.client_ids],
    category_ids: [...script.category_ids],
    team_ids: [...script.team_ids],
    active: script.active,
    questions: script.questions.map((q) => ({
      id: q.id,
      text: q.text,
      kind: q.kind,
      options: q.options.join("\n"),
      branches: { ...q.branches },
      next: q.next ?? "",
    })),
  };
}

export function optionsOf(question: QuestionDraft): string[] {
  return question.options
    .split("\n")
    .map((o) => o.trim())
    .filter(Boolean);
}

/** The answers a question can branch on: its choices (none for a typed answer). */
export function answersOf(question: QuestionDraft): string[] {
  if (question.kind === "yes_no") return ["yes", "no"];
  return question.kind === "choice" ? optionsOf(question) : [];
}

/** What POST and PUT take (CallScriptFields). */
export function toBody(draft: ScriptDraft): Record<string, unknown> {
  return {
    name: draft.name.trim(),
    client_ids: draft.client_ids,
    category_ids: draft.category_ids,
    team_ids: draft.team_ids,
    active: draft.active,
    questions: draft.questions.map((q) => {
      const answers = answersOf(q).map((a) => a.toLowerCase());
      return {
        id: q.id,
        text: q.text.trim(),
        kind: q.kind,
        options: q.kind === "choice" ? optionsOf(q) : [],
        // A typed answer branches only on what the API was given: kept as it was.
        branches: Object.fromEntries(
          Object.entries(q.branches).filter(
            ([answer, target]) =>
              target !== "" && (q.kind === "text" || answers.includes(answer.toLowerCase())),
          ),
        ),
        next: q.next || null,
      };
    }),
  };
}

export function addQuestion(draft: ScriptDraft): ScriptDraft {
  const taken = new Set(draft.questions.map((q) => q.id));
  let n = draft.questions.length + 1;
  while (taken.has(`q${n}`)) n += 1;
  return { ...draft, questions: [...draft.questions, blank(`q${n}`)] };
}

export function updateQuestion(
  draft: ScriptDraft,
  index: number,
  patch: Partial<QuestionDraft>,
): ScriptDraft {
  return {
    ...draft,
    questions: draft.questions.map((q, i) => (i === index ? { ...q, ...patch } : q)),
  };
}

/** Set where one answer (or, with answer null, every other answer) leads. */
export function setTarget(
  draft: ScriptDraft,
  index: number,
  answer: string | null,
  target: string,
): ScriptDraft {
  const question = draft.questions[index];
  if (!question) return draft;
  if (answer === null) return updateQuestion(draft, index, { next: target });
  const branches = { ...question.branches };
  if (target === "") delete branches[answer];
  else branches[answer] = target;
  return updateQuestion(draft, index, { branches });
}

/** Move a question up (-1) or down (+1); its id goes with it, so branches still name it. */
export function moveQuestion(draft: ScriptDraft, index: number, delta: -1 | 1): ScriptDraft {
  const to = index + delta;
  if (to < 0 || to >= draft.questions.length) return draft;
  const questions = [...draft.questions];
  const [moved] = questions.splice(index, 1);
  if (moved) questions.splice(to, 0, moved);
  return { ...draft, questions };
}

/** Remove a question; what led to it leads to the next question in order instead. */
export function removeQuestion(draft: ScriptDraft, index: number): ScriptDraft {
  const gone = draft.questions[index]?.id;
  return {
    ...draft,
    questions: draft.questions
      .filter((_, i) => i !== index)
      .map((q) => ({
        ...q,
        next: q.next === gone ? "" : q.next,
        branches: Object.fromEntries(Object.entries(q.branches).filter(([, t]) => t !== gone)),
      })),
  };
}

export function questionLabel(draft: ScriptDraft, id: string): string {
  const index = draft.questions.findIndex((q) => q.id === id);
  const question = draft.questions[index];
  if (!question) return id;
  const text = question.text.trim() || "(no text yet)";
  return `Q${index + 1}: ${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}

/** Where question `index` may lead: a later question or the end (and, so the form shows what
 * is set, the current target even when it no longer lies ahead). */
export function targetsAfter(draft: ScriptDraft, index: number, current = ""): Target[] {
  const later = draft.questions
    .slice(index + 1)
    .map((q) => ({ value: q.id, label: questionLabel(draft, q.id) }));
  const out = [...later, { value: END, label: "End of the script" }];
  if (current && !out.some((t) => t.value === current)) {
    out.unshift({ value: current, label: `${questionLabel(draft, current)} (goes back)` });
  }
  return out;
}

function targetProblem(draft: ScriptDraft, index: number, target: string): string | null {
  if (target === "" || target === END) return null;
  const at = draft.questions.findIndex((q) => q.id === target);
  if (at < 0) return `there is no question ${target}`;
  if (at <= index)
    return `${questionLabel(draft, target)} is not after this question: branches only jump forward`;
  return null;
}

/** What the API would refuse, by the form's field paths. */
export function problems(draft: ScriptDraft): Record<string, string> {
  const out: Record<string, string> = {};
  if (!draft.name.trim()) out.name = "required";
  if (draft.questions.length === 0) out.questions = "a script needs a question";
  const seen = new Set<string>();
  draft.questions.forEach((q, i) => {
    const at = `questions.${i}`;
    if (!QUESTION_ID.test(q.id)) out[`${at}.id`] = "lower-case letters, digits, - and _ only";
    else if (seen.has(q.id)) out[`${at}.id`] = `another question is ${q.id} too`;
    seen.add(q.id);
    if (!q.text.trim()) out[`${at}.text`] = "required";
    if (q.kind === "choice" && optionsOf(q).length === 0) {
      out[`${at}.options`] = "a choice needs choices, one per line";
    }
    for (const target of Object.values(q.branches)) {
      const problem = targetProblem(draft, i, target);
      if (problem) out[`${at}.branches`] = problem;
    }
    const next = targetProblem(draft, i, q.next);
    if (next) out[`${at}.next`] = next;
  });
  return out;
}
