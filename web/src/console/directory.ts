// The reference data every screen names things by: clients, agents, teams, categories, read in
// one request (GET /api/reference, each list sorted by name, inactive entries included: old
// tickets still name them). A tab keeps the last lists it read (sessionStorage, like the token)
// so a reload shows the queue without waiting for them; they are read again in the background
// once the queue is up, and the browser revalidates them with their ETag (304 when unchanged).
import { createContext, useContext } from "react";
import { get } from "../shared/api";
import type { Me, Named } from "../shared/types";

export interface Directory {
  me: Me;
  clients: Named[];
  agents: Named[];
  teams: Named[];
  categories: Named[];
  /** Read the lists again (after an admin changed one). */
  reload: () => Promise<void>;
}

export type Lists = Omit<Directory, "reload">;

/** Clients and agents also say whether they are active; the others have no such switch. */
export type Listed = Named & { active?: boolean };

/** What GET /api/reference answers. */
export interface Reference {
  clients: Listed[];
  agents: Listed[];
  teams: Listed[];
  categories: Listed[];
}

const REFERENCE_PATH = "/api/reference";

export async function loadDirectory(me: Me): Promise<Lists> {
  const lists = await get<Reference>(REFERENCE_PATH);
  return {
    me,
    clients: lists.clients,
    agents: lists.agents,
    teams: lists.teams,
    categories: lists.categories,
  };
}

const CACHE_KEY = "mspdesk.console.directory";

/** The lists this tab read last, if they were read with this token (this sign-in). */
export function cachedDirectory(token: string): Lists | null {
  try {
    const raw = sessionStorage.getItem(CACHE_KEY);
    if (!raw) return null;
    const saved = JSON.parse(raw) as { token?: string; lists?: Lists };
    return saved.token === token && saved.lists?.me ? saved.lists : null;
  } catch {
    return null;
  }
}

export function cacheDirectory(token: string | null, lists: Lists | null): void {
  try {
    if (token && lists) sessionStorage.setItem(CACHE_KEY, JSON.stringify({ token, lists }));
    else sessionStorage.removeItem(CACHE_KEY);
  } catch {
    // storage full or refused: the next load reads the lists again
  }
}

export const DirectoryContext = createContext<Directory | null>(null);

export function useDirectory(): Directory {
  const directory = useContext(DirectoryContext);
  if (directory === null) throw new Error("useDirectory outside a signed-in console");
  return directory;
}

export function nameOf(list: Named[], id: string | null | undefined, none = "—"): string {
  if (!id) return none;
  return list.find((item) => item.id === id)?.name ?? id;
}
