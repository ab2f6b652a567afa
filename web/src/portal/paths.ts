// The portal's addresses: /portal/ on a client's own host name, or /portal/<client>/ on a
// shared one; under either, "" (my tickets), "new" and "tickets/<n>".

export type PortalPage =
  { page: "list" } | { page: "new" } | { page: "ticket"; number: number } | { page: "unknown" };

export interface PortalPath {
  clientKey: string | null; // the client's slug or id when the path names one
  base: string; // "/portal/" or "/portal/<client>/"
  route: PortalPage;
}

const PAGES = new Set(["", "new", "tickets"]);

export function parsePortalPath(pathname: string): PortalPath {
  const rest = pathname.replace(/^\/portal\/?/, "");
  const parts = rest.split("/");
  let clientKey: string | null = null;
  if (!PAGES.has(parts[0] ?? "")) clientKey = decodeURIComponent(parts.shift() ?? "");
  const base = clientKey ? `/portal/${encodeURIComponent(clientKey)}/` : "/portal/";
  const [first = "", second, ...more] = parts;
  let route: PortalPage = { page: "unknown" };
  if (first === "" && parts.length <= 1) route = { page: "list" };
  else if (first === "new" && !second && more.length === 0) route = { page: "new" };
  else if (first === "tickets" && second && /^\d+$/.test(second) && more.every((m) => m === "")) {
    route = { page: "ticket", number: Number(second) };
  }
  return { clientKey, base, route };
}
