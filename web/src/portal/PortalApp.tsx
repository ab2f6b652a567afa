// The branded portal: a client's end-users raise tickets, follow them and reply. The API
// answers only their own company's tickets; anything else is "not found" here too.
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, get, request } from "../shared/api";
import { AttachmentList, FilePicker } from "../shared/FileViews";
import { Uploads } from "../shared/attachments";
import {
  TokenStore,
  cognitoLogoutUrl,
  finishCognitoSignIn,
  startCognitoSignIn,
} from "../shared/auth";
import { message } from "../shared/errors";
import { formatWhen } from "../shared/clock";
import type { AppConfig } from "../shared/config";
import { DevSignIn } from "../shared/DevSignIn";
import { usePolling } from "../shared/polling";
import { followLink, navigate, useLocation } from "../shared/router";
import {
  type Account,
  type Page,
  type PortalMe,
  type PortalTicket,
  type PortalTicketDetail,
  statusLabel,
} from "../shared/types";
import { NEUTRAL, type PortalBrand, applyBrand, brandOf, publicBrand } from "./branding";
import { parsePortalPath } from "./paths";

export const tokens = new TokenStore("mspdesk.portal.token");
const REFRESH_MS = 15_000; // replies from support appear while the ticket is open

export function PortalApp({ config }: { config: AppConfig }) {
  const location = useLocation();
  const path = useMemo(() => parsePortalPath(location.split("?")[0] ?? "/portal/"), [location]);
  const [token, setToken] = useState<string | null>(() => tokens.get());
  const [me, setMe] = useState<PortalMe | null>(null);
  const [brand, setBrand] = useState<PortalBrand>(NEUTRAL);
  const [error, setError] = useState<string | null>(null);
  // The hosted UI returns only to registered URLs: always /portal/, whatever client's path
  // (or page) sent the end-user to sign in; the page is restored after (shared/auth.ts).
  const redirectUri = `${window.location.origin}/portal/`;

  useEffect(() => applyBrand(brand), [brand]);

  useEffect(() => {
    if (token) return;
    void publicBrand(path.clientKey).then((found) => found && setBrand(found));
  }, [token, path.clientKey]);

  useEffect(() => {
    if (config.auth !== "cognito" || token) return;
    finishCognitoSignIn(config, redirectUri)
      .then((idToken) => {
        if (!idToken) return startCognitoSignIn(config, redirectUri);
        tokens.set(idToken);
        setToken(idToken);
        return undefined;
      })
      .catch((e: unknown) => setError(message(e)));
  }, [config, token, redirectUri]);

  useEffect(() => {
    if (!token) return;
    get<PortalMe>("/portal/api/me")
      .then((who) => {
        setMe(who);
        setBrand(brandOf(who.client_id, who.client_name, who.branding));
      })
      .catch((e: unknown) => setError(message(e)));
  }, [token]);

  const onToken = useCallback((value: string) => {
    tokens.set(value);
    setToken(value);
  }, []);
  // Only end-users sign in here; on a client's own portal, only that client's people.
  const accept = useCallback(
    (account: Account) =>
      account.role === "end-user" &&
      (brand.clientId === null
        ? path.clientKey === null || account.client_id === path.clientKey
        : account.client_id === brand.clientId),
    [brand.clientId, path.clientKey],
  );

  function signOut(): void {
    tokens.clear();
    setToken(null);
    setMe(null);
    setBrand(NEUTRAL);
    if (config.auth === "cognito") window.location.assign(cognitoLogoutUrl(config, redirectUri));
  }

  let content: React.ReactNode;
  if (error) content = <p role="alert">{error}</p>;
  else if (!token) {
    content =
      config.auth === "dev" ? (
        <DevSignIn title={`Sign in to ${brand.name}`} accept={accept} onToken={onToken} />
      ) : (
        <p>Signing in…</p>
      );
  } else if (!me) content = <p>Loading…</p>;
  else {
    const route = path.route;
    if (route.page === "list") content = <MyTickets base={path.base} />;
    else if (route.page === "new") content = <NewTicket base={path.base} />;
    else if (route.page === "ticket") {
      content = <TicketView key={route.number} base={path.base} number={route.number} />;
    } else content = <NotFound base={path.base} what="page" />;
  }

  return (
    <>
      <header className="brandbar">
        <a href={path.base} onClick={followLink} className="brand">
          {brand.logoUrl && <img src={brand.logoUrl} alt="" />}
          <span>{brand.name}</span>
        </a>
        {me && (
          <>
            <span className="who">{me.name}</span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </>
        )}
      </header>
      <div className="portal-body">{content}</div>
    </>
  );
}

function NotFound({ base, what }: { base: string; what: string }) {
  return (
    <main>
      <h1>{what === "ticket" ? "Ticket not found" : "Page not found"}</h1>
      <p>
        {what === "ticket"
          ? "There is no such ticket among your company's tickets."
          : "There is nothing at this address."}{" "}
        <a href={base} onClick={followLink}>
          Back to your tickets
        </a>
      </p>
    </main>
  );
}

function MyTickets({ base }: { base: string }) {
  const [items, setItems] = useState<PortalTicket[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (after: string | null) => {
    try {
      const page = await get<Page<PortalTicket>>("/portal/api/tickets", {
        limit: 25,
        cursor: after,
      });
      setItems((old) => (after ? [...(old ?? []), ...page.items] : page.items));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(message(e));
    }
  }, []);

  useEffect(() => {
    void load(null);
  }, [load]);

  return (
    <main>
      <h1>Your company's tickets</h1>
      <p>
        <a className="button" href={`${base}new`} onClick={followLink}>
          Raise a ticket
        </a>
      </p>
      {error && <p role="alert">{error}</p>}
      {items === null ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>No tickets yet.</p>
      ) : (
        <table aria-label="Tickets">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Subject</th>
              <th scope="col">Status</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.number}>
                <td>{t.number}</td>
                <td>
                  <a href={`${base}tickets/${t.number}`} onClick={followLink}>
                    {t.subject}
                  </a>
                </td>
                <td>{statusLabel(t.status)}</td>
                <td>{formatWhen(t.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </main>
  );
}

function NewTicket({ base }: { base: string }) {
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  // One key per form: a retried submit never raises the ticket twice.
  const [key] = useState(() => crypto.randomUUID());
  const [uploads] = useState(() => new Uploads("/portal/api"));

  async function submit(event: React.FormEvent): Promise<void> {
    event.preventDefault();
    setSending(true);
    try {
      const attachments = await uploads.keys(files);
      const ticket = await request<PortalTicket>("POST", "/portal/api/tickets", {
        body: { subject, body, attachments },
        headers: { "Idempotency-Key": key },
      });
      navigate(`${base}tickets/${ticket.number}`);
    } catch (e) {
      setError(message(e));
      setSending(false);
    }
  }

  return (
    <main>
      <h1>Raise a ticket</h1>
      <form aria-label="New ticket" onSubmit={(e) => void submit(e)}>
        <label>
          Subject
          <input
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
            required
            maxLength={500}
          />
        </label>
        <label>
          What is happening?
          <textarea rows={8} value={body} onChange={(e) => setBody(e.target.value)} required />
        </label>
        <FilePicker files={files} onChange={setFiles} disabled={sending} />
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={sending || !subject.trim() || !body.trim()}>
          {sending && files.length ? "Uploading…" : "Send"}
        </button>{" "}
        <a href={base} onClick={followLink}>
          Cancel
        </a>
      </form>
    </main>
  );
}

function TicketView({ base, number }: { base: string; number: number }) {
  const [ticket, setTicket] = useState<PortalTicketDetail | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reply, setReply] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [uploads, setUploads] = useState(() => new Uploads("/portal/api"));
  const [sending, setSending] = useState(false);

  const load = useCallback(async () => {
    try {
      setTicket(await get<PortalTicketDetail>(`/portal/api/tickets/${number}`));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setError(message(e));
    }
  }, [number]);

  useEffect(() => {
    void load();
  }, [load]);
  usePolling(load, REFRESH_MS, ticket !== null);

  async function send(event: React.FormEvent): Promise<void> {
    event.preventDefault();
    setSending(true);
    try {
      const attachments = await uploads.keys(files);
      await request("POST", `/portal/api/tickets/${number}/replies`, {
        body: { body: reply, attachments },
      });
      setReply("");
      setFiles([]);
      setUploads(new Uploads("/portal/api"));
      setError(null);
      await load();
    } catch (e) {
      setError(message(e));
    } finally {
      setSending(false);
    }
  }

  async function markResolved(): Promise<void> {
    setSending(true);
    try {
      await request("POST", `/portal/api/tickets/${number}/resolve`);
      setError(null);
      await load();
    } catch (e) {
      setError(message(e));
    } finally {
      setSending(false);
    }
  }

  if (missing) return <NotFound base={base} what="ticket" />;
  if (!ticket) return <main>{error ? <p role="alert">{error}</p> : <p>Loading…</p>}</main>;
  const resolvable =
    ticket.raised_by_you && ticket.status !== "resolved" && ticket.status !== "closed";
  return (
    <main>
      <p>
        <a href={base} onClick={followLink}>
          ← Your tickets
        </a>
      </p>
      <h1>
        #{ticket.number} {ticket.subject}
      </h1>
      <p>
        {statusLabel(ticket.status)} · raised {formatWhen(ticket.created_at)}
      </p>
      <ol className="conversation" aria-label="Conversation">
        {ticket.actions.map((a) => (
          <li key={a.id} className={a.from_support ? "from-support" : "from-you"}>
            <article
              aria-label={`Message from ${a.author_name ?? (a.from_support ? "support" : "you")}`}
            >
              <header>
                <strong>{a.author_name ?? (a.from_support ? "Support" : "You")}</strong>
                {a.from_support && <span className="tag">support</span>} ·{" "}
                <time dateTime={a.created_at}>{formatWhen(a.created_at)}</time>
              </header>
              <div className="body">{a.body}</div>
              <AttachmentList
                root="/portal/api"
                number={ticket.number}
                actionId={a.id}
                files={a.attachments}
              />
            </article>
          </li>
        ))}
      </ol>
      {ticket.status === "closed" ? (
        <p>This ticket is closed; raise a new one if you need more help.</p>
      ) : (
        <form aria-label="Reply" onSubmit={(e) => void send(e)}>
          <label>
            Your reply
            <textarea rows={5} value={reply} onChange={(e) => setReply(e.target.value)} />
          </label>
          <FilePicker files={files} onChange={setFiles} disabled={sending} />
          {error && <p role="alert">{error}</p>}
          <button type="submit" disabled={sending || (!reply.trim() && files.length === 0)}>
            Send reply
          </button>
          {resolvable && (
            <p className="muted">
              Fixed already?{" "}
              <button type="button" disabled={sending} onClick={() => void markResolved()}>
                Mark as resolved
              </button>{" "}
              A reply reopens it.
            </p>
          )}
        </form>
      )}
    </main>
  );
}
