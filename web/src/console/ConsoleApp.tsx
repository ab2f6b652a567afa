import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { get } from "../shared/api";
import {
  TokenStore,
  cognitoLogoutUrl,
  finishCognitoSignIn,
  startCognitoSignIn,
} from "../shared/auth";
import type { AppConfig } from "../shared/config";
import { DevSignIn } from "../shared/DevSignIn";
import { followLink, useLocation } from "../shared/router";
import type { Account, MajorIncident, Me, Page } from "../shared/types";
import { afterFirstScreen } from "../shared/firstScreen";
import {
  type Directory,
  DirectoryContext,
  cacheDirectory,
  cachedDirectory,
  loadDirectory,
} from "./directory";
import { PhoneLayer } from "./Phone";
import { screenPopUrl } from "./phoneSocket";
import { Queue, prefetchQueue } from "./Queue";
import { TicketPage } from "./TicketPage";

// Screens an agent opens now and then load on demand, so the queue's first load stays small.
const Incidents = lazy(() => import("./Incidents"));
const Calls = lazy(() => import("./Calls"));
const AdminApp = lazy(() => import("./admin/AdminApp"));

export const tokens = new TokenStore("mspdesk.console.token");
const isStaff = (account: Account): boolean => account.role !== "end-user";

export function ConsoleApp({ config }: { config: AppConfig }) {
  const [token, setToken] = useState<string | null>(() => tokens.get());
  const [directory, setDirectory] = useState<Directory | null>(null);
  const [error, setError] = useState<string | null>(null);
  const redirectUri = `${window.location.origin}/`;

  const signOut = useCallback(() => {
    tokens.clear();
    cacheDirectory(null, null);
    setToken(null);
    setDirectory(null);
    if (config.auth === "cognito") window.location.assign(cognitoLogoutUrl(config, redirectUri));
  }, [config, redirectUri]);

  useEffect(() => {
    if (config.auth !== "cognito" || token) return;
    finishCognitoSignIn(config, redirectUri)
      .then((idToken) => {
        if (idToken) {
          tokens.set(idToken);
          setToken(idToken);
        } else {
          return startCognitoSignIn(config, redirectUri);
        }
        return undefined;
      })
      .catch((e: unknown) => setError(String(e)));
  }, [config, token, redirectUri]);

  useEffect(() => {
    if (!token) return undefined;
    // The queue's first page is read beside who we are and the reference lists, not after.
    if (window.location.pathname === "/") prefetchQueue(window.location.search);
    let current = true;
    const reload = async (): Promise<void> => {
      const fresh = await loadDirectory(await get<Me>("/api/me"));
      cacheDirectory(token, fresh);
      if (current) setDirectory({ ...fresh, reload });
    };
    const cached = cachedDirectory(token);
    if (!cached) {
      reload().catch((e: unknown) => setError(String(e)));
      return () => {
        current = false;
      };
    }
    // A reload of this tab: the lists it read last, read again once the screen is up.
    setDirectory({ ...cached, reload });
    const cancel = afterFirstScreen(() => void reload().catch(() => undefined));
    return () => {
      current = false;
      cancel();
    };
  }, [token]);

  const [incident, setIncident] = useState<MajorIncident | null>(null);
  const [openIncidents, setOpenIncidents] = useState(0);
  // Suspected major incidents waiting for an agent: counted on every push, and once the first
  // screen is up, out of the way of its own requests.
  const signedIn = directory !== null;
  useEffect(() => {
    if (!signedIn) return undefined;
    const count = (): void => {
      get<Page<MajorIncident>>("/api/major-incidents", { status: "open", limit: 25 })
        .then((page) => setOpenIncidents(page.items.length))
        .catch(() => undefined);
    };
    if (incident) {
      count();
      return undefined;
    }
    return afterFirstScreen(count);
  }, [signedIn, incident]);
  const socketUrl = useMemo(
    () => (token ? screenPopUrl(config, token, window.location) : null),
    [config, token],
  );

  const onToken = useCallback((value: string) => {
    tokens.set(value);
    setToken(value);
  }, []);

  if (error) return <p role="alert">{error}</p>;
  if (!token) {
    if (config.auth === "dev") {
      return <DevSignIn title="mspdesk: agent console" accept={isStaff} onToken={onToken} />;
    }
    return <p>Signing in…</p>;
  }
  if (!directory) return <p className="loading">Loading…</p>;
  return (
    <DirectoryContext.Provider value={directory}>
      <header className="topbar">
        <a href="/" onClick={followLink} className="brand">
          mspdesk
        </a>
        <nav aria-label="Main">
          <a href="/" onClick={followLink}>
            Queue
          </a>
          <a href="/calls" onClick={followLink}>
            Calls
          </a>
          <a href="/incidents" onClick={followLink}>
            Major incidents
            {openIncidents > 0 && (
              <span className="count" aria-label={`${openIncidents} suspected`}>
                {openIncidents}
              </span>
            )}
          </a>
          {directory.me.role === "admin" && (
            <a href="/admin" onClick={followLink}>
              Admin
            </a>
          )}
        </nav>
        <span className="who">Signed in as {directory.me.name}</span>
        <PhoneLayer url={socketUrl} onIncident={setIncident} />
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {incident && (
        <div className="incident-banner" role="alert">
          <strong>Suspected major incident:</strong> {incident.keywords.slice(0, 4).join(", ")}{" "}
          reported by {incident.client_ids.length} clients.{" "}
          <a href="/incidents" onClick={followLink}>
            Review it
          </a>{" "}
          <button type="button" className="small" onClick={() => setIncident(null)}>
            Dismiss
          </button>
        </div>
      )}
      <Suspense fallback={<p className="loading">Loading…</p>}>
        <Routes />
      </Suspense>
    </DirectoryContext.Provider>
  );
}

function Routes() {
  const location = useLocation();
  const path = location.split("?")[0] ?? "/";
  if (path === "/") return <Queue />;
  if (path === "/incidents") return <Incidents />;
  if (path === "/calls") return <Calls />;
  if (path === "/admin" || path.startsWith("/admin/")) return <AdminApp />;
  const ticket = /^\/tickets\/(\d+)\/?$/.exec(path);
  if (ticket?.[1]) return <TicketPage key={ticket[1]} number={Number(ticket[1])} />;
  return (
    <main className="page">
      <h1>Page not found</h1>
      <p>
        <a href="/" onClick={followLink}>
          Back to the queue
        </a>
      </p>
    </main>
  );
}
