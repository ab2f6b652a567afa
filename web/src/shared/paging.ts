// A listing read page by page: its first page whenever the query changes, the next on demand.
import { useCallback, useEffect, useRef, useState } from "react";
import { type Query, get } from "./api";
import { message } from "./errors";
import type { Page } from "./types";

export interface Paged<T> {
  /** null until the first page arrives */
  items: T[] | null;
  error: string | null;
  /** a next page exists */
  more: boolean;
  loadMore: () => void;
  /** the first page again (after a change) */
  reload: () => void;
}

export function usePaged<T>(path: string, query: Query): Paged<T> {
  // One string for path and query: the effect reruns when they change, not on every render.
  const key = JSON.stringify([path, query]);
  const current = useRef(key);
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      const [where, params] = JSON.parse(key) as [string, Query];
      try {
        const page = await get<Page<T>>(where, { ...params, cursor: after });
        if (current.current !== key) return; // the query changed meanwhile: a stale answer
        setItems((old) => [...(after ? (old ?? []) : []), ...page.items]);
        setCursor(page.next_cursor);
        setError(null);
      } catch (e) {
        if (current.current === key) setError(message(e));
      }
    },
    [key],
  );
  useEffect(() => {
    current.current = key;
    setItems(null);
    setCursor(null);
    void load(null);
  }, [key, load]);

  return {
    items,
    error,
    more: cursor !== null,
    loadMore: () => void load(cursor),
    reload: () => void load(null),
  };
}
