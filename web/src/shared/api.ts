// The one way the screens talk to the API: JSON in and out, the bearer token, errors as
// ApiError carrying the API's error body.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
  }
}

export type Query = Record<string, string | number | null | undefined>;

interface Options {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  keepalive?: boolean;
}

let base = "";
let token: () => string | null = () => null;
let unauthorized: () => void = () => undefined;

export function configureApi(options: {
  apiBase: string;
  token: () => string | null;
  onUnauthorized: () => void;
}): void {
  base = options.apiBase;
  token = options.token;
  unauthorized = options.onUnauthorized;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, options: Options = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const init: RequestInit = { method, headers };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  if (options.keepalive) init.keepalive = true;
  const response = await fetch(base + withQuery(path, options.query), init);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    if (response.status === 401 && bearer) unauthorized();
    const body = typeof data === "object" && data !== null ? (data as Record<string, unknown>) : {};
    throw new ApiError(response.status, body);
  }
  return data as T;
}

export const get = <T>(path: string, query?: Query): Promise<T> =>
  request<T>("GET", path, query ? { query } : {});

/** Every page of a cursor-paged list (reference data: clients, agents, teams, categories). */
export async function getAll<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: T[]; next_cursor: string | null } = await get(path, {
      limit: 100,
      cursor,
    });
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** A file the API serves (an invoice export, say), fetched with the bearer token. */
export async function download(path: string, query?: Query): Promise<Blob> {
  const bearer = token();
  const response = await fetch(base + withQuery(path, query), {
    headers: bearer ? { Authorization: `Bearer ${bearer}` } : {},
  });
  if (!response.ok) {
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { message: text };
    }
    throw new ApiError(response.status, body);
  }
  return response.blob();
}
