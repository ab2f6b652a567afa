// Screen pops: what the phone socket pushed, merged with what the call says now, and the call
// script walked the way the API walks it (answers off the path are not sent: it refuses them).
import type { Call, CallScript, ScreenPop, ScriptQuestion } from "../../shared/types";

export interface PopEntry {
  id: string;
  pop: ScreenPop;
  /** The call as last read (GET /api/calls/{id}); null until then. */
  call: Call | null;
}

export type PopAction =
  { type: "pop"; pop: ScreenPop } | { type: "call"; call: Call } | { type: "dismiss"; id: string };

/** Newest first; a call already shown is updated in place (ringing, then answered). */
export function popsReducer(state: PopEntry[], action: PopAction): PopEntry[] {
  switch (action.type) {
    case "pop": {
      const id = action.pop.call.id;
      const found = state.find((e) => e.id === id);
      if (!found) return [{ id, pop: action.pop, call: null }, ...state];
      return state.map((e) => (e.id === id ? { ...e, pop: action.pop } : e));
    }
    case "call":
      return state.map((e) => (e.id === action.call.id ? { ...e, call: action.call } : e));
    case "dismiss":
      return state.filter((e) => e.id !== action.id);
  }
}

export type PopStatus = "ringing" | "mine" | "taken" | "ended" | "missed";

/** Where the call stands for this agent. */
export function popStatus(entry: PopEntry, meId: string): PopStatus {
  const state = entry.call?.state ?? entry.pop.call.state;
  const agent = entry.call?.agent_id ?? entry.pop.call.agent_id;
  if (state === "missed") return "missed";
  if (state === "ended") return "ended";
  if (state === "answered") return agent === meId ? "mine" : "taken";
  return "ringing";
}

/** "Jo Bloggs (Acme Ltd)", else the number, else "a withheld number". */
export function callerLabel(pop: ScreenPop): string {
  const number = pop.call.caller_e164 ?? pop.call.caller_raw;
  const who = pop.caller?.name ?? number ?? "a withheld number";
  return pop.client ? `${who} (${pop.client.name})` : who;
}

export interface ScriptWalk {
  /** The questions asked so far, each with its answer. */
  path: { question: ScriptQuestion; answer: string }[];
  /** The question to ask now; null when the script is done. */
  next: ScriptQuestion | null;
  /** The answers on the path: what to send. */
  answers: Record<string, string>;
}

export function walkScript(script: CallScript, answers: Record<string, string>): ScriptWalk {
  const index = new Map(script.questions.map((q, i) => [q.id, i]));
  const path: ScriptWalk["path"] = [];
  const kept: Record<string, string> = {};
  let position: number | null = 0;
  const seen = new Set<number>();
  while (position !== null && position < script.questions.length && !seen.has(position)) {
    seen.add(position);
    const question: ScriptQuestion = script.questions[position] as ScriptQuestion;
    const answer = answers[question.id];
    if (answer === undefined || answer.trim() === "") {
      return { path, next: question, answers: kept };
    }
    path.push({ question, answer });
    kept[question.id] = answer;
    const branch = Object.entries(question.branches).find(
      ([key]) => key.toLowerCase() === answer.trim().toLowerCase(),
    );
    const target = branch ? branch[1] : question.next;
    if (target === "end") position = null;
    else if (target === null || target === undefined) position += 1;
    else position = index.get(target) ?? null;
  }
  return { path, next: null, answers: kept };
}

export function choicesOf(question: ScriptQuestion): string[] {
  if (question.kind === "yes_no") return ["yes", "no"];
  return question.kind === "choice" ? question.options : [];
}
