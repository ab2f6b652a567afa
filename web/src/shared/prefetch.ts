// A request started before the screen that needs it exists (the queue's first page, while the
// console still reads who is signed in and the reference lists), handed over once, if fresh.
import { get, withQuery } from "./api";

type Query = Parameters<typeof withQuery>[1];

const FRESH_MS = 10_000;
const pending = new Map<string, { at: number; answer: Promise<unknown> }>();

export function prefetch(path: string, query: Query): void {
  const answer = get<unknown>(path, query);
  answer.catch(() => undefined); // whoever takes it sees the error
  pending.set(withQuery(path, query), { at: Date.now(), answer });
}

/** The prefetched answer for exactly this request, once; null when there is none. */
export function takePrefetched<T>(path: string, query: Query): Promise<T> | null {
  const key = withQuery(path, query);
  const found = pending.get(key);
  pending.delete(key);
  if (!found || Date.now() - found.at > FRESH_MS) return null;
  return found.answer as Promise<T>;
}
