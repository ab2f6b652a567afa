// The phone directory: which agent an extension (or the name or address a phone system sends)
// is, and which team answers each of our dialled numbers, so a ringing call pops to the right
// people. Saved whole with the version read; the main-number index can be rebuilt from here.
import { useCallback, useEffect, useId, useState } from "react";
import { ApiError, get, request } from "../../shared/api";
import { message } from "../../shared/errors";
import type { CtiDirectory, Named, ReindexCounts } from "../../shared/types";
import { useDirectory } from "../directory";
import {
  type DirectoryDraft,
  type DirectoryRow,
  type Section,
  fromDraft,
  placeErrors,
  row,
  toDraft,
} from "./phoneDirectory";

const URL = "/api/admin/cti/directory";

export function PhoneDirectory() {
  const { agents, teams } = useDirectory();
  const [base, setBase] = useState<CtiDirectory | null>(null);
  const [draft, setDraft] = useState<DirectoryDraft | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [theirs, setTheirs] = useState<CtiDirectory | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async (): Promise<void> => {
    try {
      const fresh = await get<CtiDirectory>(URL);
      setBase(fresh);
      setDraft(toDraft(fresh));
      setTheirs(null);
    } catch (e) {
      setGeneral(message(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  if (!draft || !base) {
    return general ? <p role="alert">{general}</p> : <p>Loading…</p>;
  }
  const checked = fromDraft(draft);
  const { version: _version, ...current } = base;
  const dirty = JSON.stringify(checked.body) !== JSON.stringify(current);

  const change = (section: Section, rows: DirectoryRow[]): void => {
    setDraft({ ...draft, [section]: rows });
    setSaved(false);
  };

  async function save(version: number): Promise<void> {
    if (!draft) return;
    const { body, problems } = fromDraft(draft);
    setErrors(problems);
    if (Object.keys(problems).length) {
      setGeneral("Check the rows marked below.");
      return;
    }
    setBusy(true);
    try {
      const out = await request<CtiDirectory>("PUT", URL, { body: { ...body, version } });
      setBase(out);
      setDraft(toDraft(out));
      setTheirs(null);
      setGeneral(null);
      setSaved(true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setTheirs(await get<CtiDirectory>(URL));
        setGeneral(null);
      } else {
        const placed = placeErrors(e, draft);
        setErrors(placed.rows);
        setGeneral(placed.general ?? (Object.keys(placed.rows).length ? null : message(e)));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Phone directory</h1>
      <p className="muted">
        Who is who on the phone system: a ringing call pops to the agent whose extension it rings,
        or to the team that answers the number dialled.
      </p>
      <form
        className="entity-form"
        aria-label="Phone directory"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save(base.version);
        }}
      >
        {theirs && (
          <div className="conflict" role="alert">
            <p>
              <strong>Changed by someone else.</strong> Your changes are not saved yet.
            </p>
            <button type="button" disabled={busy} onClick={() => void save(theirs.version)}>
              Save mine over theirs
            </button>{" "}
            <button type="button" onClick={() => void load()}>
              Use theirs
            </button>
          </div>
        )}
        <Rows
          section="extensions"
          title="Extensions"
          help="The extension, user name or email address the phone system sends for an agent."
          nameLabel="Extension"
          targetLabel="Agent"
          choices={agents}
          rows={draft.extensions}
          errors={errors}
          onChange={(rows) => change("extensions", rows)}
        />
        <Rows
          section="numbers"
          title="Our numbers"
          help="Numbers callers dial, as you would write them; saved in international form."
          nameLabel="Number"
          targetLabel="Team"
          choices={teams}
          rows={draft.numbers}
          errors={errors}
          onChange={(rows) => change("numbers", rows)}
        />
        {general && (
          <p role="alert" className="form-error">
            {general}
          </p>
        )}
        <div className="buttons">
          <button type="submit" disabled={busy || !dirty}>
            Save changes
          </button>
          {saved && (
            <span role="status" className="saved">
              Saved
            </span>
          )}
        </div>
      </form>
      <Reindex />
    </>
  );
}

function Rows({
  section,
  title,
  help,
  nameLabel,
  targetLabel,
  choices,
  rows,
  errors,
  onChange,
}: {
  section: Section;
  title: string;
  help: string;
  nameLabel: string;
  targetLabel: string;
  choices: Named[];
  rows: DirectoryRow[];
  errors: Record<string, string>;
  onChange: (rows: DirectoryRow[]) => void;
}) {
  const id = useId();
  const set = (index: number, patch: Partial<DirectoryRow>): void =>
    onChange(rows.map((r, i) => (i === index ? { ...r, ...patch } : r)));
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="form-section">
        {title}
      </h2>
      <p className="help">{help}</p>
      {rows.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <table className="compact" aria-label={title}>
          <thead>
            <tr>
              <th scope="col">{nameLabel}</th>
              <th scope="col">{targetLabel}</th>
              <td />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const error = errors[`${section}.${i}`];
              const errorId = `${id}-${r.key}-error`;
              return (
                <tr key={r.key}>
                  <td>
                    <input
                      type="text"
                      aria-label={`${nameLabel} ${i + 1}`}
                      value={r.name}
                      aria-invalid={error ? true : undefined}
                      aria-describedby={error ? errorId : undefined}
                      onChange={(e) => set(i, { name: e.target.value })}
                    />
                    {error && (
                      <span id={errorId} className="field-error">
                        {" "}
                        {error}
                      </span>
                    )}
                  </td>
                  <td>
                    <select
                      aria-label={`${targetLabel} for ${nameLabel.toLowerCase()} ${i + 1}`}
                      value={r.target}
                      onChange={(e) => set(i, { target: e.target.value })}
                    >
                      <option value="">Choose…</option>
                      {choices.map((c) => (
                        <option key={c.id} value={c.id}>
                          {c.name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="small"
                      aria-label={`Remove ${nameLabel.toLowerCase()} ${i + 1}`}
                      onClick={() => onChange(rows.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p>
        <button type="button" onClick={() => onChange([...rows, row()])}>
          Add {nameLabel.toLowerCase()}
        </button>
      </p>
    </section>
  );
}

function Reindex() {
  const [counts, setCounts] = useState<ReindexCounts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      setCounts(await request<ReindexCounts>("POST", "/api/admin/cti/reindex"));
      setError(null);
    } catch (e) {
      setError(message(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="reindex-title">
      <h2 id="reindex-title" className="form-section">
        Clients&apos; main numbers
      </h2>
      <p className="help">
        A caller from a client&apos;s switchboard is found by the main numbers of the client and its
        sites. They are indexed as they change; index them all again after an import.
      </p>
      <button type="button" disabled={busy} onClick={() => void run()}>
        {busy ? "Indexing…" : "Index main numbers again"}
      </button>
      {counts && (
        <p role="status">
          Indexed {counts.clients} clients and {counts.sites} sites; {counts.changed} changed.
        </p>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
