// The admin screens (admins only), loaded on demand: reference data of every kind through one
// list and one form (deleted or deactivated as its kind allows), call scripts, the phone
// directory, the MSP's settings (triage included) and billing.
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, get, request } from "../../shared/api";
import { message } from "../../shared/errors";
import { usePaged } from "../../shared/paging";
import { followLink, navigate, useLocation } from "../../shared/router";
import type { Named, Page } from "../../shared/types";
import { nameOf, useDirectory } from "../directory";
import { CallScripts } from "./CallScripts";
import { DeleteButton } from "./DeleteButton";
import { EntityForm } from "./EntityForm";
import { type Choices, type FieldSpec, type FormValues, type Option, creatable } from "./form";
import { PhoneDirectory } from "./PhoneDirectory";
import { BY_PATH, RESOURCES, type Column, type ResourceSpec } from "./resources";

const Billing = lazy(() => import("./Billing"));

type Json = Record<string, unknown>;
const DIRECTORY_REFS = ["clients", "agents", "teams", "categories"];

interface Wanted {
  ref: string;
  /** Read for one client (its sites, its end-users). */
  perClient: boolean;
}

/** Every item of an admin list (all its pages). */
async function every(path: string, query: Record<string, string> = {}): Promise<Named[]> {
  const out: Named[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Named> = await get(path, { ...query, limit: 100, cursor });
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Reference lists by admin path; clients, agents, teams and categories come from the
 * console's directory, the rest are read when a form needs them (per-client ones for
 * `clientId`). */
function useReferences(
  wanted: readonly Wanted[],
  clientId: string | null = null,
): (ref: string) => Named[] {
  const directory = useDirectory();
  const [extra, setExtra] = useState<Record<string, Named[]>>({});
  const keyOf = useCallback(
    (w: Wanted): string | null =>
      w.perClient ? (clientId ? `${w.ref}?client_id=${clientId}` : null) : w.ref,
    [clientId],
  );
  const missing = wanted
    .filter((w) => !DIRECTORY_REFS.includes(w.ref))
    .map((w) => [w, keyOf(w)] as const)
    .filter((pair): pair is readonly [Wanted, string] => pair[1] !== null);
  const key = missing.map(([, k]) => k).join(",");
  useEffect(() => {
    for (const [w, k] of missing) {
      const query: Record<string, string> = w.perClient && clientId ? { client_id: clientId } : {};
      void every(`/api/admin/${w.ref}`, query)
        .then((all) => setExtra((old) => ({ ...old, [k]: all })))
        .catch(() => undefined);
    }
    // `key` names everything `missing` holds: a new list only when it changes.
  }, [key]);
  const perClient = useMemo(
    () => new Set(wanted.filter((w) => w.perClient).map((w) => w.ref)),
    [wanted],
  );
  return useCallback(
    (ref: string): Named[] => {
      if (ref === "clients") return directory.clients;
      if (ref === "agents") return directory.agents;
      if (ref === "teams") return directory.teams;
      if (ref === "categories") return directory.categories;
      const k = keyOf({ ref, perClient: perClient.has(ref) });
      return (k && extra[k]) || [];
    },
    [directory, extra, keyOf, perClient],
  );
}

function refsOf(fields: readonly FieldSpec[]): Wanted[] {
  const found = new Map<string, Wanted>();
  for (const f of fields) {
    if (f.choices && "ref" in f.choices) {
      found.set(f.choices.ref, { ref: f.choices.ref, perClient: f.choices.perClient === true });
    }
  }
  return [...found.values()];
}

function optionsFrom(lookup: (ref: string) => Named[]) {
  return (choices: Choices): readonly Option[] =>
    "ref" in choices ? lookup(choices.ref).map((n) => ({ value: n.id, label: n.name })) : choices;
}

const SECTIONS: { path: string; title: string }[] = [
  ...RESOURCES.map((r) => ({ path: r.path, title: r.title })),
  { path: "call-scripts", title: "Call scripts" },
  { path: "phone-directory", title: "Phone directory" },
  { path: "settings", title: "Settings" },
  { path: "billing", title: "Billing" },
];

export default function AdminApp() {
  const { me } = useDirectory();
  const location = useLocation();
  const [path, query] = location.split("?") as [string, string | undefined];
  const parts = path
    .replace(/^\/admin\/?/, "")
    .split("/")
    .filter(Boolean);
  const section = parts[0] ?? "";

  if (me.role !== "admin") {
    return (
      <main className="page">
        <h1>Admins only</h1>
        <p>These screens need the admin role.</p>
      </main>
    );
  }

  let content: React.ReactNode;
  const spec = BY_PATH.get(section);
  if (section === "") content = <Overview />;
  else if (section === "settings") content = <Settings />;
  else if (section === "call-scripts") {
    content = <CallScripts key={parts[1] ?? ""} id={parts[1] ?? null} />;
  } else if (section === "phone-directory") content = <PhoneDirectory />;
  else if (section === "billing") {
    content = (
      <Suspense fallback={<p>Loading…</p>}>
        <Billing />
      </Suspense>
    );
  } else if (spec && parts[1] === "new") {
    const client = new URLSearchParams(query ?? "").get("client_id");
    content = <EditPage key={`new-${client ?? ""}`} spec={spec} id={null} clientId={client} />;
  } else if (spec && parts[1]) content = <EditPage key={parts[1]} spec={spec} id={parts[1]} />;
  else if (spec) content = <ListPage key={spec.path} spec={spec} query={query ?? ""} />;
  else content = <h1>Not found</h1>;

  return (
    <div className="admin">
      <nav className="admin-nav" aria-label="Admin">
        {SECTIONS.map((s) => (
          <a
            key={s.path}
            href={`/admin/${s.path}`}
            onClick={followLink}
            aria-current={s.path === section ? "page" : undefined}
          >
            {s.title}
          </a>
        ))}
      </nav>
      <main className="admin-main">{content}</main>
    </div>
  );
}

function Overview() {
  return (
    <>
      <h1>Admin</h1>
      <ul className="plain">
        {SECTIONS.map((s) => (
          <li key={s.path}>
            <a href={`/admin/${s.path}`} onClick={followLink}>
              {s.title}
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}

function Cell({
  column,
  item,
  name,
}: {
  column: Column;
  item: Json;
  name: Parameters<Column["show"]>[1];
}) {
  const links = column.links?.(item) ?? [];
  return (
    <>
      {column.show(item, name)}
      {links.map((l) => (
        <a key={l.href} className="launch" href={l.href} aria-label={l.label}>
          {l.text}
        </a>
      ))}
    </>
  );
}

function ListPage({ spec, query }: { spec: ResourceSpec; query: string }) {
  const { clients } = useDirectory();
  const params = new URLSearchParams(query);
  const clientId = params.get("client_id") ?? (spec.perClient ? (clients[0]?.id ?? null) : null);
  const endUserId = spec.perEndUser ? params.get("end_user_id") : null;
  const { items, error, more, loadMore } = usePaged<Json>(`/api/admin/${spec.path}`, {
    limit: 100,
    client_id: spec.perClient && !endUserId ? clientId : null,
    end_user_id: endUserId,
  });
  const refs = useMemo(() => refsOf(spec.fields), [spec]);
  const lookup = useReferences(refs, clientId);
  const name = useCallback(
    (ref: string, id: unknown): string => (typeof id === "string" ? nameOf(lookup(ref), id) : "—"),
    [lookup],
  );

  const listHref = (client: string, person: string | null = null): string =>
    `/admin/${spec.path}?client_id=${client}${person ? `&end_user_id=${person}` : ""}`;
  const newHref = `/admin/${spec.path}/new${spec.perClient && clientId ? `?client_id=${clientId}` : ""}`;
  return (
    <>
      <header className="admin-head">
        <h1>{spec.title}</h1>
        <a className="button" href={newHref} onClick={followLink}>
          New {spec.singular}
        </a>
      </header>
      {spec.perClient && (
        <div className="inline">
          <label>
            Client
            <select
              value={clientId ?? ""}
              onChange={(e) => navigate(listHref(e.target.value), true)}
            >
              {clients.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          {spec.perEndUser && clientId && (
            <label>
              Used by
              <select
                value={endUserId ?? ""}
                onChange={(e) => navigate(listHref(clientId, e.target.value || null), true)}
              >
                <option value="">Anyone at this client</option>
                {lookup("end-users").map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
      )}
      {error && <p role="alert">{error}</p>}
      {items === null ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table aria-label={spec.title}>
          <thead>
            <tr>
              {spec.columns.map((c) => (
                <th key={c.label} scope="col">
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={String(item.id)}>
                {spec.columns.map((c, i) => (
                  <td key={c.label}>
                    {i === 0 ? (
                      <a href={`/admin/${spec.path}/${String(item.id)}`} onClick={followLink}>
                        {c.show(item, name)}
                      </a>
                    ) : (
                      <Cell column={c} item={item} name={name} />
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      )}
    </>
  );
}

const DIRECTORY_KINDS = new Set(["clients", "agents", "teams", "categories"]);

function EditPage({
  spec,
  id,
  clientId = null,
}: {
  spec: ResourceSpec;
  id: string | null;
  clientId?: string | null;
}) {
  const directory = useDirectory();
  const [entity, setEntity] = useState<Json | null>(
    id === null ? { ...spec.defaults, ...(clientId ? { client_id: clientId } : {}) } : null,
  );
  const [error, setError] = useState<string | null>(null);
  // The form starts again from the entity when something outside it changed it (deactivated).
  const [formKey, setFormKey] = useState(0);
  // The client whose sites and end-users the form offers: the one chosen, as it is chosen.
  const [chosenClient, setChosenClient] = useState<string | null>(null);
  const owner =
    chosenClient ?? (typeof entity?.client_id === "string" ? entity.client_id : clientId);
  const refs = useMemo(() => refsOf(spec.fields), [spec]);
  const lookup = useReferences(refs, owner);
  const url = `/api/admin/${spec.path}`;

  useEffect(() => {
    if (id === null) return;
    get<Json>(`${url}/${id}`)
      .then(setEntity)
      .catch((e: unknown) => setError(message(e)));
  }, [id, url]);

  if (error) return <p role="alert">{error}</p>;
  if (!entity) return <p>Loading…</p>;
  const title =
    id === null
      ? `New ${spec.singular}`
      : `${spec.singular[0]?.toUpperCase()}${spec.singular.slice(1)}: ${String(entity.name ?? id)}`;
  const listHref = `/admin/${spec.path}${spec.perClient && entity.client_id ? `?client_id=${String(entity.client_id)}` : ""}`;
  const linkColumns = spec.columns.filter((c) => c.links);

  return (
    <>
      <p>
        <a href={listHref} onClick={followLink}>
          ← {spec.title}
        </a>
      </p>
      <h1>{title}</h1>
      {id !== null && spec.activeToggle && entity.active === false && (
        <p className="conflict" role="note">
          Deactivated: kept for the history that names it, offered nowhere new.
        </p>
      )}
      {id !== null &&
        linkColumns.map((c) => (
          <p key={c.label}>
            <strong>{c.label}:</strong> <Cell column={c} item={entity} name={() => ""} />
          </p>
        ))}
      <EntityForm
        key={formKey}
        label={title}
        fields={spec.fields}
        base={entity}
        creating={id === null}
        options={optionsFrom(lookup)}
        reload={id === null ? undefined : () => get<Json>(`${url}/${id}`)}
        onChange={(values: FormValues) => {
          if (typeof values.client_id === "string" && values.client_id) {
            setChosenClient(values.client_id);
          }
        }}
        save={async (next, base) => {
          if (id === null) {
            return request<Json>("POST", url, { body: creatable(next) });
          }
          const changed: Json = {};
          for (const [key, value] of Object.entries(next)) {
            if (JSON.stringify(value) !== JSON.stringify(base[key])) changed[key] = value;
          }
          return request<Json>("PATCH", `${url}/${id}`, {
            body: changed,
            headers: { "If-Match": `"${String(base.version)}"` },
          });
        }}
        onSaved={(saved) => {
          if (DIRECTORY_KINDS.has(spec.path)) void directory.reload();
          if (id === null) navigate(`/admin/${spec.path}/${String(saved.id)}`, true);
          else setEntity(saved);
        }}
      />
      {id !== null && spec.activeToggle && (
        <ActiveToggle
          spec={spec}
          entity={entity}
          url={`${url}/${id}`}
          onChanged={(saved) => {
            setEntity(saved);
            setFormKey((k) => k + 1);
            if (DIRECTORY_KINDS.has(spec.path)) void directory.reload();
          }}
        />
      )}
      {id !== null && spec.deletable && (
        <DeleteButton
          what={`${spec.singular} ${String(entity.name ?? id)}`}
          url={`${url}/${id}`}
          version={Number(entity.version)}
          onDeleted={() => navigate(listHref, true)}
        />
      )}
    </>
  );
}

/** Deactivate or reactivate (PATCH active) what history names and so is never deleted. */
function ActiveToggle({
  spec,
  entity,
  url,
  onChanged,
}: {
  spec: ResourceSpec;
  entity: Json;
  url: string;
  onChanged: (saved: Json) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const active = entity.active !== false;
  const change = async (): Promise<void> => {
    setBusy(true);
    try {
      const saved = await request<Json>("PATCH", url, {
        body: { active: !active },
        headers: { "If-Match": `"${String(entity.version)}"` },
      });
      setError(null);
      onChanged(saved);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 409
          ? "Changed by someone else since you opened it: reload the page to see their changes."
          : message(e),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label={active ? "Deactivate" : "Reactivate"}>
      <h2 className="form-section">{active ? "Deactivate" : "Reactivate"}</h2>
      <p className="muted">
        {active
          ? `A ${spec.singular} is never deleted: tickets, calls and bills name it. Deactivated, it is kept for them and offered nowhere new.`
          : `Reactivated, this ${spec.singular} is offered again.`}
      </p>
      <button type="button" disabled={busy} onClick={() => void change()}>
        {active ? `Deactivate ${spec.singular}` : `Reactivate ${spec.singular}`}
      </button>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

const SETTINGS_FIELDS: FieldSpec[] = [
  { path: "name", label: "MSP name", kind: "text", required: true },
  { path: "time_zone", label: "Time zone", kind: "text", required: true },
  {
    path: "phone_region",
    label: "Phone region",
    kind: "text",
    required: true,
    help: "Two letters: how national numbers are read (GB).",
  },
  { path: "ticket_token_prefix", label: "Ticket number prefix in mail subjects", kind: "text" },
  {
    path: "triage.mode",
    section: "Triage",
    label: "Triage method",
    kind: "select",
    required: true,
    choices: [
      {
        value: "auto",
        label: "Automatic (similar tickets once there is history, else the language model)",
      },
      { value: "vector", label: "Similar past tickets" },
      { value: "llm", label: "Language model" },
    ],
  },
  {
    path: "triage.confidence_threshold",
    label: "Apply triage by itself from confidence",
    kind: "float",
    help: "0 to 1; below it triage only suggests.",
  },
  {
    path: "triage.min_history",
    label: "Resolved tickets needed before similar-ticket triage",
    kind: "number",
  },
  {
    path: "triage.llm_model",
    label: "Language model",
    kind: "text",
    nullable: true,
    placeholder: "the deployment's default",
  },
];

function Settings() {
  const [settings, setSettings] = useState<Json | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<Json>("/api/admin/settings")
      .then(setSettings)
      .catch((e: unknown) => setError(message(e)));
  }, []);
  if (error) return <p role="alert">{error}</p>;
  if (!settings) return <p>Loading…</p>;
  return (
    <>
      <h1>Settings</h1>
      <EntityForm
        label="MSP settings"
        fields={SETTINGS_FIELDS}
        base={settings}
        creating={false}
        options={(choices) => ("ref" in choices ? [] : choices)}
        reload={() => get<Json>("/api/admin/settings")}
        // The settings are replaced whole; the version read goes in the body.
        save={(next, base) =>
          request<Json>("PUT", "/api/admin/settings", { body: { ...next, version: base.version } })
        }
      />
    </>
  );
}
