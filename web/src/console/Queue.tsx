// The queue: open tickets of every client in one list, filtered, polled, keyboard-driven.
import {
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
} from "react";
import { get } from "../shared/api";
import { markFirstScreenShown } from "../shared/firstScreen";
import { usePolling } from "../shared/polling";
import { prefetch, takePrefetched } from "../shared/prefetch";
import { followLink, navigate, useLocation } from "../shared/router";
import {
  PRIORITIES,
  SLA_STATES,
  STATUSES,
  type Named,
  type Page,
  type Ticket,
  statusLabel,
} from "../shared/types";
import { nameOf, useDirectory } from "./directory";
import {
  type QueueFilters,
  type SavedView,
  filtersFromSearch,
  parseViews,
  removeView,
  saveView,
  searchFromFilters,
} from "./logic/filters";
import { commandFor, initialNav, navReducer } from "./logic/queueNav";
import { SlaBadge } from "./SlaBadge";

const PAGE = 25;
const MAX_PAGE = 100; // the API's largest page
export const POLL_MS = 4000;
const VIEWS_KEY = "mspdesk.console.views";

function queueQuery(filters: QueueFilters, limit: number, cursor: string | null = null) {
  return { ...filters, limit, cursor };
}

/** Start reading the queue's first page for `search` (the URL's query) right away. */
export function prefetchQueue(search: string): void {
  prefetch("/api/tickets", queueQuery(filtersFromSearch(search), PAGE));
}

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName))
  );
}

function isControl(target: EventTarget | null): boolean {
  return target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
}

export function Queue() {
  const location = useLocation();
  const search = location.includes("?") ? location.slice(location.indexOf("?")) : "";
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const { clients, agents, teams, me } = useDirectory();
  const [items, setItems] = useState<Ticket[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [changed, setChanged] = useState<Set<number>>(new Set());
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState("");
  const [nav, dispatch] = useReducer(navReducer, initialNav);
  const filterBox = useRef<HTMLInputElement>(null);
  const versions = useRef(new Map<number, number>());
  const loaded = useRef(PAGE);

  const fetchPage = useCallback(
    (limit: number, after: string | null = null) =>
      get<Page<Ticket>>("/api/tickets", queueQuery(filters, limit, after)),
    [filters],
  );

  /** Remember each ticket's version; answer which ones are new or changed since last time. */
  const diff = useCallback((tickets: Ticket[], first: boolean): Set<number> => {
    const out = new Set<number>();
    for (const t of tickets) {
      const seen = versions.current.get(t.number);
      if (!first && seen !== t.version) out.add(t.number);
      versions.current.set(t.number, t.version);
    }
    return out;
  }, []);

  useEffect(() => {
    let current = true;
    setItems(null);
    setError(null);
    versions.current = new Map();
    loaded.current = PAGE;
    (takePrefetched<Page<Ticket>>("/api/tickets", queueQuery(filters, PAGE)) ?? fetchPage(PAGE))
      .then((page) => {
        if (!current) return;
        diff(page.items, true);
        setItems(page.items);
        setCursor(page.next_cursor);
        setChanged(new Set());
        setUpdatedAt(new Date());
        requestAnimationFrame(markFirstScreenShown);
      })
      .catch((e: unknown) => current && setError(String(e)));
    return () => {
      current = false;
    };
  }, [fetchPage, diff, filters]);

  // New and changed tickets appear without a reload; rows keep their keys, so the scroll
  // position and the selection stay where they were.
  usePolling(
    async () => {
      const limit = Math.min(MAX_PAGE, loaded.current);
      const page = await fetchPage(limit);
      setChanged(diff(page.items, false));
      setItems((old) => {
        const rest = (old ?? [])
          .slice(limit)
          .filter((t) => !page.items.some((p) => p.number === t.number));
        return [...page.items, ...rest];
      });
      if (loaded.current <= MAX_PAGE) setCursor(page.next_cursor);
      setUpdatedAt(new Date());
      setError(null);
    },
    POLL_MS,
    items !== null,
  );

  async function loadMore(): Promise<void> {
    if (!cursor) return;
    const page = await fetchPage(PAGE, cursor);
    diff(page.items, true);
    loaded.current += page.items.length;
    setItems((old) => [...(old ?? []), ...page.items]);
    setCursor(page.next_cursor);
  }

  const clientName = useCallback((id: string) => nameOf(clients, id), [clients]);
  const shown = useMemo(() => {
    const needle = text.trim().toLowerCase();
    if (!items || !needle) return items ?? [];
    return items.filter(
      (t) =>
        String(t.number).includes(needle) ||
        t.subject.toLowerCase().includes(needle) ||
        clientName(t.client_id).toLowerCase().includes(needle),
    );
  }, [items, text, clientName]);

  // Before paint: once rows are on screen, j and k know them (a key pressed the moment the
  // first page shows would otherwise move through an empty list).
  useLayoutEffect(() => dispatch({ type: "rows", keys: shown.map((t) => t.number) }), [shown]);

  useEffect(() => {
    function onKey(event: KeyboardEvent): void {
      if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
      const command = commandFor(event.key);
      if (command === null) return;
      if (command === "open" && isControl(event.target)) return; // Enter presses the control
      event.preventDefault();
      if (command === "filter") filterBox.current?.focus();
      else if (command === "open") {
        if (nav.selected !== null) navigate(`/tickets/${nav.selected}`);
      } else dispatch({ type: command });
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [nav.selected]);

  useEffect(() => {
    if (nav.selected !== null) {
      document.getElementById(`ticket-row-${nav.selected}`)?.scrollIntoView({ block: "nearest" });
    }
  }, [nav.selected]);

  const setFilters = (next: QueueFilters): void => navigate(`/${searchFromFilters(next)}`, true);

  return (
    <main className="queue">
      <h1>Queue</h1>
      <FilterBar
        filters={filters}
        onChange={setFilters}
        clients={clients}
        agents={agents}
        teams={teams}
        meId={me.id}
      />
      <SavedViews filters={filters} onApply={setFilters} />
      <div className="queue-tools">
        <label>
          Filter <kbd aria-hidden="true">/</kbd>
          <input
            ref={filterBox}
            type="search"
            aria-keyshortcuts="/"
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => e.key === "Escape" && e.currentTarget.blur()}
            placeholder="number, subject or client"
          />
        </label>
        <span className="muted" role="status">
          {items === null
            ? "Loading…"
            : `${shown.length} ticket${shown.length === 1 ? "" : "s"}${cursor ? " (more to load)" : ""}`}
          {updatedAt && ` · updated ${updatedAt.toLocaleTimeString()}`}
        </span>
        <span className="muted hint">j/k or ↑/↓ to move, Enter to open</span>
      </div>
      {error && <p role="alert">{error}</p>}
      <table className="tickets" role="grid" aria-label="Tickets" aria-readonly="true">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Subject</th>
            <th scope="col">Client</th>
            <th scope="col">Priority</th>
            <th scope="col">Status</th>
            <th scope="col">Assignee</th>
            <th scope="col">SLA</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((t) => (
            <tr
              key={t.number}
              id={`ticket-row-${t.number}`}
              aria-selected={nav.selected === t.number}
              className={changed.has(t.number) ? "changed" : undefined}
              onClick={() => dispatch({ type: "select", key: t.number })}
              onDoubleClick={() => navigate(`/tickets/${t.number}`)}
            >
              <td>{t.number}</td>
              <td>
                <a href={`/tickets/${t.number}`} onClick={followLink}>
                  {t.subject}
                </a>
                {changed.has(t.number) && <span className="tag">updated</span>}
              </td>
              <td>{clientName(t.client_id)}</td>
              <td>
                <span className={`prio prio-${t.priority}`}>{t.priority}</span>
              </td>
              <td>{statusLabel(t.status)}</td>
              <td>{nameOf(agents, t.agent_id, "Unassigned")}</td>
              <td>
                <SlaBadge state={t.sla_state} dueAt={t.sla_due_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items !== null && shown.length === 0 && <p>No open tickets match.</p>}
      {cursor && (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </main>
  );
}

interface FilterBarProps {
  filters: QueueFilters;
  onChange: (filters: QueueFilters) => void;
  clients: Named[];
  agents: Named[];
  teams: Named[];
  meId: string;
}

function FilterBar({ filters, onChange, clients, agents, teams, meId }: FilterBarProps) {
  const set = (key: keyof QueueFilters, value: string): void => {
    const next: Record<string, string> = { ...filters };
    if (value) next[key] = value;
    else delete next[key];
    onChange(next as QueueFilters);
  };
  const options = (list: readonly { id: string; name: string }[]) =>
    list.map((o) => (
      <option key={o.id} value={o.id}>
        {o.name}
      </option>
    ));
  const plain = (values: readonly string[], label: (v: string) => string = (v) => v) =>
    values.map((v) => ({ id: v, name: label(v) }));
  return (
    <form className="filters" aria-label="Queue filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        Client
        <select value={filters.client_id ?? ""} onChange={(e) => set("client_id", e.target.value)}>
          <option value="">All clients</option>
          {options(clients)}
        </select>
      </label>
      <label>
        Status
        <select value={filters.status ?? ""} onChange={(e) => set("status", e.target.value)}>
          <option value="">Any open</option>
          {options(
            plain(
              STATUSES.filter((s) => s !== "resolved" && s !== "closed"),
              (s) => statusLabel(s as never),
            ),
          )}
        </select>
      </label>
      <label>
        Assignee
        <select value={filters.agent_id ?? ""} onChange={(e) => set("agent_id", e.target.value)}>
          <option value="">Anyone</option>
          <option value={meId}>Me</option>
          <option value="unassigned">Unassigned</option>
          {options(agents.filter((a) => a.id !== meId))}
        </select>
      </label>
      <label>
        Team
        <select value={filters.team_id ?? ""} onChange={(e) => set("team_id", e.target.value)}>
          <option value="">Any team</option>
          <option value="unassigned">No team</option>
          {options(teams)}
        </select>
      </label>
      <label>
        Priority
        <select value={filters.priority ?? ""} onChange={(e) => set("priority", e.target.value)}>
          <option value="">Any</option>
          {options(plain(PRIORITIES))}
        </select>
      </label>
      <label>
        SLA
        <select value={filters.sla ?? ""} onChange={(e) => set("sla", e.target.value)}>
          <option value="">Any</option>
          {options(plain(SLA_STATES, (s) => s.charAt(0).toUpperCase() + s.slice(1)))}
        </select>
      </label>
      <button
        type="button"
        onClick={() => onChange({})}
        disabled={Object.keys(filters).length === 0}
      >
        Clear filters
      </button>
    </form>
  );
}

function SavedViews({
  filters,
  onApply,
}: {
  filters: QueueFilters;
  onApply: (f: QueueFilters) => void;
}) {
  const [views, setViews] = useState<SavedView[]>(() =>
    parseViews(localStorage.getItem(VIEWS_KEY)),
  );
  const [name, setName] = useState("");
  const store = (next: SavedView[]): void => {
    localStorage.setItem(VIEWS_KEY, JSON.stringify(next));
    setViews(next);
  };
  const current = searchFromFilters(filters);
  return (
    <section className="views" aria-label="Saved views">
      {views.map((v) => (
        <span key={v.name} className="view">
          <button
            type="button"
            aria-pressed={searchFromFilters(v.filters) === current}
            onClick={() => onApply(v.filters)}
          >
            {v.name}
          </button>
          <button
            type="button"
            aria-label={`Delete view ${v.name}`}
            onClick={() => store(removeView(views, v.name))}
          >
            ×
          </button>
        </span>
      ))}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) store(saveView(views, { name: name.trim(), filters }));
          setName("");
        }}
      >
        <label>
          View name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. My P1s" />
        </label>
        <button type="submit" disabled={!name.trim()}>
          Save view
        </button>
      </form>
    </section>
  );
}
