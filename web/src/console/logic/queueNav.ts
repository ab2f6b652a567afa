// Keyboard navigation of the queue: which row is selected as rows come and go with polling.
// The selection follows the ticket, not the row index.

export interface NavState {
  keys: number[]; // ticket numbers in the order shown
  selected: number | null;
}

export type NavAction =
  | { type: "rows"; keys: number[] }
  | { type: "next" }
  | { type: "prev" }
  | { type: "select"; key: number };

export const initialNav: NavState = { keys: [], selected: null };

export function navReducer(state: NavState, action: NavAction): NavState {
  const { keys, selected } = state;
  const at = selected === null ? -1 : keys.indexOf(selected);
  switch (action.type) {
    case "rows": {
      if (selected === null || action.keys.includes(selected)) {
        return { keys: action.keys, selected };
      }
      // The selected ticket left the list: select whichever now sits where it was.
      const index = Math.min(Math.max(at, 0), action.keys.length - 1);
      return { keys: action.keys, selected: action.keys[index] ?? null };
    }
    case "next":
      if (keys.length === 0) return state;
      return { keys, selected: keys[Math.min(at + 1, keys.length - 1)] ?? null };
    case "prev":
      if (keys.length === 0) return state;
      return { keys, selected: keys[Math.max(at - 1, 0)] ?? null };
    case "select":
      return keys.includes(action.key) ? { keys, selected: action.key } : state;
  }
}

export type QueueCommand = "next" | "prev" | "open" | "filter";

/** The queue's shortcut for a key, or null: j/k or the arrows move, Enter opens, / filters. */
export function commandFor(key: string): QueueCommand | null {
  switch (key) {
    case "j":
    case "ArrowDown":
      return "next";
    case "k":
    case "ArrowUp":
      return "prev";
    case "Enter":
      return "open";
    case "/":
      return "filter";
    default:
      return null;
  }
}
