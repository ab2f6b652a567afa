// The queue's filters: in the URL (so a view can be linked and reloaded) and in saved views.
import type { Priority, SlaState, TicketStatus } from "../../shared/types";

export interface QueueFilters {
  client_id?: string;
  status?: TicketStatus;
  agent_id?: string; // an agent's id, or "unassigned"
  team_id?: string; // a team's id, or "unassigned"
  priority?: Priority;
  sla?: SlaState;
}

export const FILTER_KEYS = [
  "client_id",
  "status",
  "agent_id",
  "team_id",
  "priority",
  "sla",
] as const;

export function filtersFromSearch(search: string): QueueFilters {
  const params = new URLSearchParams(search);
  const out: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key);
    if (value) out[key] = value;
  }
  return out as QueueFilters;
}

export function searchFromFilters(filters: QueueFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export interface SavedView {
  name: string;
  filters: QueueFilters;
}

/** Saving under an existing name replaces that view; views stay in name order. */
export function saveView(views: SavedView[], view: SavedView): SavedView[] {
  return [...views.filter((v) => v.name !== view.name), view].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

export function removeView(views: SavedView[], name: string): SavedView[] {
  return views.filter((v) => v.name !== name);
}

/** Views as stored, dropping anything that is not one (storage is the user's to edit). */
export function parseViews(text: string | null): SavedView[] {
  if (!text) return [];
  try {
    const data: unknown = JSON.parse(text);
    if (!Array.isArray(data)) return [];
    return data.flatMap((v: unknown) => {
      if (typeof v !== "object" || v === null) return [];
      const { name, filters } = v as { name?: unknown; filters?: unknown };
      if (typeof name !== "string" || typeof filters !== "object" || filters === null) return [];
      return [{ name, filters: filtersFromSearch(searchFromFilters(filters as QueueFilters)) }];
    });
  } catch {
    return [];
  }
}
