import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configureApi } from "../shared/api";
import type { Me } from "../shared/types";
import { type Reference, cacheDirectory, cachedDirectory, loadDirectory } from "./directory";

const me: Me = { id: "ag_sam", name: "Sam", role: "agent", client_id: null };
const reference: Reference = {
  clients: [
    { id: "cl_a", name: "Acme Ltd", active: true },
    { id: "cl_old", name: "Old Co", active: false },
  ],
  agents: [{ id: "ag_sam", name: "Sam", active: true }],
  teams: [{ id: "team_1", name: "Service desk" }],
  categories: [],
};

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (key) => data.get(key) ?? null,
    key: (index) => [...data.keys()][index] ?? null,
    removeItem: (key) => void data.delete(key),
    setItem: (key, value) => void data.set(key, value),
  };
}

beforeEach(() => {
  vi.stubGlobal("sessionStorage", memoryStorage());
  configureApi({ apiBase: "", token: () => "tok", onUnauthorized: () => undefined });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("loadDirectory", () => {
  it("reads the four lists in one request and keeps their order", async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify(reference), { status: 200 }));
    vi.stubGlobal("fetch", fetch);

    const lists = await loadDirectory(me);

    expect(fetch).toHaveBeenCalledTimes(1);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/reference");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect(lists).toEqual({ me, ...reference });
    expect(lists.clients.map((c) => c.name)).toEqual(["Acme Ltd", "Old Co"]);
  });

  it("fails as the API does, so the console can say why", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response(JSON.stringify({ message: "route" }), { status: 404 })),
    );
    await expect(loadDirectory(me)).rejects.toMatchObject({ status: 404 });
  });
});

describe("the tab's cached lists", () => {
  it("are given back to the same sign-in only, and forgotten on sign-out", () => {
    const lists = { me, ...reference };
    cacheDirectory("tok", lists);

    expect(cachedDirectory("tok")).toEqual(lists);
    expect(cachedDirectory("another-token")).toBeNull();
    cacheDirectory(null, null);
    expect(cachedDirectory("tok")).toBeNull();
  });
});
