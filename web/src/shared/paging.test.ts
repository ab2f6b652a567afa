import { describe, expect, it } from "vitest";
import { Pager } from "./paging";
import type { Page } from "./types";

interface Asked {
  cursor: string | null;
  answer: (page: Page<number>) => void;
  fail: (error: Error) => void;
}

/** A listing whose answers the test releases one by one, in any order. */
function listing() {
  const asked: Asked[] = [];
  let changes = 0;
  const pager = new Pager<number>(
    (cursor) => new Promise((answer, fail) => asked.push({ cursor, answer, fail })),
    () => (changes += 1),
  );
  const nth = (n: number): Asked => {
    const found = asked[n];
    if (!found) throw new Error(`request ${n} was never made`);
    return found;
  };
  return { pager, asked, nth, changes: () => changes };
}

describe("Pager", () => {
  it("appends the next page after the first and knows when there is no more", async () => {
    const { pager, asked, nth } = listing();
    const first = pager.first();
    nth(0).answer({ items: [1, 2], next_cursor: "c2" });
    await first;
    const second = pager.more();
    expect(nth(1).cursor).toBe("c2");
    nth(1).answer({ items: [3], next_cursor: null });
    await second;
    expect(pager.items).toEqual([1, 2, 3]);
    expect(pager.cursor).toBeNull();
    await pager.more();
    expect(asked).toHaveLength(2);
  });

  it("asks once for the next page however often it is clicked meanwhile", async () => {
    const { pager, asked, nth } = listing();
    const first = pager.first();
    nth(0).answer({ items: [1], next_cursor: "c2" });
    await first;
    const clicks = [pager.more(), pager.more(), pager.more()];
    nth(1).answer({ items: [2], next_cursor: null });
    await Promise.all(clicks);
    expect(asked).toHaveLength(2);
    expect(pager.items).toEqual([1, 2]);
  });

  it("drops a next page that arrives after a refresh began", async () => {
    const { pager, nth, changes } = listing();
    const first = pager.first();
    nth(0).answer({ items: [1], next_cursor: "c2" });
    await first;
    const late = pager.more();
    const refresh = pager.first();
    nth(2).answer({ items: [9, 1], next_cursor: "c3" });
    await refresh;
    nth(1).answer({ items: [2], next_cursor: null });
    await late;
    expect(pager.items).toEqual([9, 1]);
    expect(pager.cursor).toBe("c3");
    expect(changes()).toBe(2);
  });

  it("keeps what it has and says why when a page fails", async () => {
    const { pager, nth } = listing();
    const first = pager.first();
    nth(0).answer({ items: [1], next_cursor: "c2" });
    await first;
    const failing = pager.more();
    nth(1).fail(new Error("offline"));
    await failing;
    expect(pager.error).toBe("offline");
    expect(pager.items).toEqual([1]);
    expect(pager.cursor).toBe("c2"); // "more" can be asked again
  });
});
