import { describe, expect, it } from "vitest";
import { filtersFromSearch, parseViews, removeView, saveView, searchFromFilters } from "./filters";

describe("filters in the URL", () => {
  it("round-trips the API's parameter names", () => {
    const filters = {
      client_id: "cl_1",
      status: "open",
      agent_id: "unassigned",
      sla: "warning",
    } as const;
    const search = searchFromFilters(filters);
    expect(search).toBe("?client_id=cl_1&status=open&agent_id=unassigned&sla=warning");
    expect(filtersFromSearch(search)).toEqual(filters);
  });

  it("ignores parameters that are not filters", () => {
    expect(filtersFromSearch("?cursor=abc&priority=P1&x=1")).toEqual({ priority: "P1" });
    expect(searchFromFilters({})).toBe("");
  });
});

describe("saved views", () => {
  it("replaces a view saved under the same name and keeps name order", () => {
    let views = saveView([], { name: "b", filters: { priority: "P1" } });
    views = saveView(views, { name: "a", filters: {} });
    views = saveView(views, { name: "b", filters: { priority: "P2" } });
    expect(views).toEqual([
      { name: "a", filters: {} },
      { name: "b", filters: { priority: "P2" } },
    ]);
    expect(removeView(views, "a")).toEqual([{ name: "b", filters: { priority: "P2" } }]);
  });

  it("reads back what it stored and drops what is not a view", () => {
    const stored = JSON.stringify([
      { name: "Mine", filters: { agent_id: "ag_1", bogus: "x" } },
      { name: 3 },
      "junk",
    ]);
    expect(parseViews(stored)).toEqual([{ name: "Mine", filters: { agent_id: "ag_1" } }]);
    expect(parseViews("{not json")).toEqual([]);
    expect(parseViews(null)).toEqual([]);
  });
});
