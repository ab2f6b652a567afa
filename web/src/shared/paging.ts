// A listing read page by page: its first page whenever the query changes, the next on demand.
import { useEffect, useMemo, useReducer } from "react";
import { type Query, get } from "./api";
import { message } from "./errors";
import type { Page } from "./types";

/** The pages read so far. A first page (again) starts a new generation: an answer that
 * belongs to an older one is dropped, so a refresh never gets a stale page appended. */
export class Pager<T> {
  items: T[] | null = null;
  cursor: string | null = null;
  error: string | null = null;
  private generation = 0;
  private fetching = false;

  constructor(
    private readonly fetchPage: (cursor: string | null) => Promise<Page<T>>,
    private readonly changed: () => void,
  ) {}

  first(): Promise<void> {
    this.generation += 1;
    return this.read(null);
  }

  /** The next page; nothing while one is on its way (a double click adds nothing). */
  more(): Promise<void> {
    if (this.fetching || this.cursor === null) return Promise.resolve();
    return this.read(this.cursor);
  }

  private async read(after: string | null): Promise<void> {
    const mine = this.generation;
    this.fetching = true;
    try {
      const page = await this.fetchPage(after);
      if (mine !== this.generation) return;
      this.items = [...(after ? (this.items ?? []) : []), ...page.items];
      this.cursor = page.next_cursor;
      this.error = null;
    } catch (e) {
      if (mine === this.generation) this.error = message(e);
    } finally {
      if (mine === this.generation) {
        this.fetching = false;
        this.changed();
      }
    }
  }
}

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
  // One string for path and query: a new pager when they change, not on every render.
  const key = JSON.stringify([path, query]);
  const [, render] = useReducer((n: number) => n + 1, 0);
  const pager = useMemo(() => {
    const [where, params] = JSON.parse(key) as [string, Query];
    return new Pager<T>((cursor) => get<Page<T>>(where, { ...params, cursor }), render);
  }, [key]);
  useEffect(() => {
    void pager.first();
  }, [pager]);
  return {
    items: pager.items,
    error: pager.error,
    more: pager.cursor !== null,
    loadMore: () => void pager.more(),
    reload: () => void pager.first(),
  };
}
