import { describe, expect, it } from "vitest";
import { type NavState, commandFor, initialNav, navReducer } from "./queueNav";

const rows = (keys: number[], selected: number | null = null): NavState => ({ keys, selected });

describe("navReducer", () => {
  it("selects the first row on the first move down", () => {
    const loaded = navReducer(initialNav, { type: "rows", keys: [5, 7, 9] });
    expect(navReducer(loaded, { type: "next" }).selected).toBe(5);
  });

  it("moves down and up and stops at the ends", () => {
    let state = rows([5, 7, 9], 5);
    state = navReducer(state, { type: "next" });
    state = navReducer(state, { type: "next" });
    expect(state.selected).toBe(9);
    expect(navReducer(state, { type: "next" }).selected).toBe(9);
    state = navReducer(rows([5, 7, 9], 5), { type: "prev" });
    expect(state.selected).toBe(5);
  });

  it("moving up with nothing selected picks the first row", () => {
    expect(navReducer(rows([5, 7]), { type: "prev" }).selected).toBe(5);
  });

  it("does nothing on an empty list", () => {
    const empty = rows([]);
    expect(navReducer(empty, { type: "next" })).toBe(empty);
    expect(navReducer(empty, { type: "prev" })).toBe(empty);
  });

  it("keeps the selected ticket when polling adds rows above it", () => {
    const state = navReducer(rows([5, 7, 9], 7), { type: "rows", keys: [3, 5, 7, 9] });
    expect(state).toEqual({ keys: [3, 5, 7, 9], selected: 7 });
  });

  it("selects the row that took the place of a ticket that left the list", () => {
    expect(navReducer(rows([5, 7, 9], 7), { type: "rows", keys: [5, 9] }).selected).toBe(9);
    expect(navReducer(rows([5, 7, 9], 9), { type: "rows", keys: [5, 7] }).selected).toBe(7);
    expect(navReducer(rows([5], 5), { type: "rows", keys: [] }).selected).toBeNull();
  });

  it("selects a clicked row only if it is shown", () => {
    expect(navReducer(rows([5, 7]), { type: "select", key: 7 }).selected).toBe(7);
    expect(navReducer(rows([5, 7], 5), { type: "select", key: 8 }).selected).toBe(5);
  });
});

describe("commandFor", () => {
  it.each([
    ["j", "next"],
    ["ArrowDown", "next"],
    ["k", "prev"],
    ["ArrowUp", "prev"],
    ["Enter", "open"],
    ["/", "filter"],
    ["x", null],
    ["J", null],
  ])("%s -> %s", (key, command) => {
    expect(commandFor(key)).toBe(command);
  });
});
