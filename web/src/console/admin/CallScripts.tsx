// Call scripts: the questions an agent asks on the phone, for a client, a category or a team (or
// the default, for calls no other script fits). Edited as questions in order, each with its
// kind of answer and where each answer leads; branches only jump forward, as the API wants.
import { Fragment, useEffect, useId, useState } from "react";
import { ApiError, get, request } from "../../shared/api";
import { formErrors, message } from "../../shared/errors";
import { followLink, navigate } from "../../shared/router";
import type { AdminCallScript, Named } from "../../shared/types";
import { nameOf, useDirectory } from "../directory";
import { DeleteButton } from "./DeleteButton";
import {
  END,
  type QuestionDraft,
  type QuestionKind,
  type ScriptDraft,
  addQuestion,
  answersOf,
  emptyScript,
  moveQuestion,
  problems,
  removeQuestion,
  setTarget,
  targetsAfter,
  toBody,
  toDraft,
  updateQuestion,
} from "./scripts";

const URL = "/api/admin/call-scripts";
const KINDS: { value: QuestionKind; label: string }[] = [
  { value: "text", label: "Typed answer" },
  { value: "choice", label: "One of some choices" },
  { value: "yes_no", label: "Yes or no" },
];

export function CallScripts({ id }: { id: string | null }) {
  if (id === null) return <ScriptList />;
  return <ScriptEditor id={id === "new" ? null : id} />;
}

function appliesTo(
  script: AdminCallScript,
  lists: { clients: Named[]; categories: Named[]; teams: Named[] },
): string {
  const names = [
    ...script.client_ids.map((i) => nameOf(lists.clients, i)),
    ...script.category_ids.map((i) => `category ${nameOf(lists.categories, i)}`),
    ...script.team_ids.map((i) => `team ${nameOf(lists.teams, i)}`),
  ];
  return names.length ? names.join(", ") : "Default: calls no other script fits";
}

function ScriptList() {
  const directory = useDirectory();
  const [scripts, setScripts] = useState<AdminCallScript[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<AdminCallScript[]>(URL)
      .then(setScripts)
      .catch((e: unknown) => setError(message(e)));
  }, []);
  return (
    <>
      <header className="admin-head">
        <h1>Call scripts</h1>
        <a className="button" href="/admin/call-scripts/new" onClick={followLink}>
          New call script
        </a>
      </header>
      <p className="muted">
        The questions a phone call pops with: the client&apos;s script, else the category&apos;s,
        else the team&apos;s, else the default. The answers are saved on the call&apos;s ticket.
      </p>
      {error && <p role="alert">{error}</p>}
      {scripts === null ? (
        <p>Loading…</p>
      ) : scripts.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table aria-label="Call scripts">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Applies to</th>
              <th scope="col">Questions</th>
              <th scope="col">Active</th>
            </tr>
          </thead>
          <tbody>
            {scripts.map((s) => (
              <tr key={s.id}>
                <td>
                  <a href={`/admin/call-scripts/${s.id}`} onClick={followLink}>
                    {s.name}
                  </a>
                </td>
                <td>{appliesTo(s, directory)}</td>
                <td>{s.questions.length}</td>
                <td>{s.active ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ScriptEditor({ id }: { id: string | null }) {
  const [base, setBase] = useState<AdminCallScript | null>(null);
  const [draft, setDraft] = useState<ScriptDraft | null>(id === null ? emptyScript() : null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [theirs, setTheirs] = useState<AdminCallScript | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    if (id === null) return;
    get<AdminCallScript>(`${URL}/${id}`)
      .then((script) => {
        setBase(script);
        setDraft(toDraft(script));
      })
      .catch((e: unknown) => setLoadError(message(e)));
  }, [id]);

  if (loadError) return <p role="alert">{loadError}</p>;
  if (!draft) return <p>Loading…</p>;
  const title = base ? `Call script: ${base.name}` : "New call script";
  const dirty =
    base === null || JSON.stringify(toBody(draft)) !== JSON.stringify(toBody(toDraft(base)));

  const change = (next: ScriptDraft): void => {
    setDraft(next);
    setSaved(false);
  };

  async function save(version: number | null): Promise<void> {
    if (!draft) return;
    const found = problems(draft);
    setErrors(found);
    if (Object.keys(found).length) {
      setGeneral("Check the fields marked below.");
      return;
    }
    setBusy(true);
    try {
      const body = toBody(draft);
      if (id === null) {
        const created = await request<AdminCallScript>("POST", URL, { body });
        navigate(`/admin/call-scripts/${created.id}`, true);
        return;
      }
      const out = await request<AdminCallScript>("PUT", `${URL}/${id}`, {
        body,
        headers: { "If-Match": `"${version ?? base?.version ?? 1}"` },
      });
      setBase(out);
      setDraft(toDraft(out));
      setTheirs(null);
      setGeneral(null);
      setSaved(true);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && id !== null) {
        setTheirs(await get<AdminCallScript>(`${URL}/${id}`));
        setGeneral(null);
      } else {
        const known = [
          "name",
          "questions",
          ...draft.questions.flatMap((_, i) => [`questions.${i}.text`, `questions.${i}.options`]),
        ];
        const placed = formErrors(e, known);
        setErrors(placed.fields);
        setGeneral(placed.general ?? (Object.keys(placed.fields).length ? null : message(e)));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p>
        <a href="/admin/call-scripts" onClick={followLink}>
          ← Call scripts
        </a>
      </p>
      <h1>{title}</h1>
      <form
        className="entity-form script-form"
        aria-label={title}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save(null);
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
            <button
              type="button"
              onClick={() => {
                setBase(theirs);
                change(toDraft(theirs));
                setTheirs(null);
              }}
            >
              Use theirs
            </button>
          </div>
        )}
        <div className="form-grid">
          <TextField
            label="Name"
            value={draft.name}
            error={errors.name}
            onChange={(name) => change({ ...draft, name })}
          />
          <div className="field check">
            <label>
              <input
                type="checkbox"
                checked={draft.active}
                onChange={(e) => change({ ...draft, active: e.target.checked })}
              />
              Active
            </label>
          </div>
        </div>
        <AppliesTo draft={draft} onChange={change} />
        <h2 className="form-section">Questions</h2>
        {errors.questions && <p className="field-error">{errors.questions}</p>}
        <ol className="plain questions">
          {draft.questions.map((q, i) => (
            <li key={q.id}>
              <QuestionEditor
                draft={draft}
                index={i}
                question={q}
                errors={errors}
                onChange={change}
              />
            </li>
          ))}
        </ol>
        <p>
          <button type="button" onClick={() => change(addQuestion(draft))}>
            Add a question
          </button>
        </p>
        {general && (
          <p role="alert" className="form-error">
            {general}
          </p>
        )}
        <div className="buttons">
          <button type="submit" disabled={busy || !dirty}>
            {id === null ? "Create" : "Save changes"}
          </button>
          {saved && (
            <span role="status" className="saved">
              Saved
            </span>
          )}
        </div>
      </form>
      {base && (
        <DeleteButton
          what={`call script ${base.name}`}
          url={`${URL}/${base.id}`}
          version={base.version}
          onDeleted={() => navigate("/admin/call-scripts", true)}
        />
      )}
    </>
  );
}

function TextField({
  label,
  value,
  error,
  onChange,
  wide = false,
}: {
  label: string;
  value: string;
  error: string | undefined;
  onChange: (value: string) => void;
  wide?: boolean;
}) {
  const id = useId();
  return (
    <div className={wide ? "field wide" : "field"}>
      <label htmlFor={id}>
        {label}
        <span aria-hidden="true"> *</span>
      </label>
      <input
        id={id}
        type="text"
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}

function AppliesTo({
  draft,
  onChange,
}: {
  draft: ScriptDraft;
  onChange: (next: ScriptDraft) => void;
}) {
  const { clients, categories, teams } = useDirectory();
  const groups: { key: "client_ids" | "category_ids" | "team_ids"; label: string; all: Named[] }[] =
    [
      { key: "client_ids", label: "Clients", all: clients },
      { key: "category_ids", label: "Categories", all: categories },
      { key: "team_ids", label: "Teams", all: teams },
    ];
  return (
    <>
      <h2 className="form-section">Applies to</h2>
      <p className="help">
        Nothing ticked: the default script, for calls no other script fits. A client&apos;s script
        wins over a category&apos;s, a category&apos;s over a team&apos;s.
      </p>
      {groups.map((g) => (
        <fieldset key={g.key} className="field multi">
          <legend>{g.label}</legend>
          <div className="ticks">
            {g.all.map((o) => (
              <label key={o.id}>
                <input
                  type="checkbox"
                  checked={draft[g.key].includes(o.id)}
                  onChange={(e) =>
                    onChange({
                      ...draft,
                      [g.key]: e.target.checked
                        ? [...draft[g.key], o.id]
                        : draft[g.key].filter((v) => v !== o.id),
                    })
                  }
                />
                {o.name}
              </label>
            ))}
          </div>
        </fieldset>
      ))}
    </>
  );
}

function QuestionEditor({
  draft,
  index,
  question,
  errors,
  onChange,
}: {
  draft: ScriptDraft;
  index: number;
  question: QuestionDraft;
  errors: Record<string, string>;
  onChange: (next: ScriptDraft) => void;
}) {
  const id = useId();
  const at = `questions.${index}`;
  const number = index + 1;
  const answers = answersOf(question);
  const update = (patch: Partial<QuestionDraft>): void =>
    onChange(updateQuestion(draft, index, patch));
  const typedBranches = question.kind === "text" ? Object.entries(question.branches) : [];

  return (
    <fieldset className="card question" aria-label={`Question ${number}`}>
      <legend>
        Question {number} <span className="muted">({question.id})</span>
      </legend>
      <div className="form-grid">
        <TextField
          label="Question"
          value={question.text}
          error={errors[`${at}.text`]}
          onChange={(text) => update({ text })}
          wide
        />
        <div className="field">
          <label htmlFor={`${id}-kind`}>Answer</label>
          <select
            id={`${id}-kind`}
            value={question.kind}
            onChange={(e) => update({ kind: e.target.value as QuestionKind })}
          >
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        </div>
        {question.kind === "choice" && (
          <div className="field">
            <label htmlFor={`${id}-options`}>Choices</label>
            <textarea
              id={`${id}-options`}
              rows={3}
              value={question.options}
              aria-invalid={errors[`${at}.options`] ? true : undefined}
              aria-describedby={`${id}-options-help`}
              onChange={(e) => update({ options: e.target.value })}
            />
            <span id={`${id}-options-help`} className="help">
              One per line.
            </span>
            {errors[`${at}.options`] && (
              <span className="field-error">{errors[`${at}.options`]}</span>
            )}
          </div>
        )}
        {answers.map((answer) => (
          <TargetSelect
            key={answer}
            label={`If “${answer}”, go to`}
            value={question.branches[answer] ?? ""}
            empty="as for any answer"
            draft={draft}
            index={index}
            onChange={(target) => onChange(setTarget(draft, index, answer, target))}
          />
        ))}
        <TargetSelect
          label={answers.length ? "Any other answer goes to" : "Then go to"}
          value={question.next}
          empty="the next question"
          draft={draft}
          index={index}
          error={errors[`${at}.next`]}
          onChange={(target) => onChange(setTarget(draft, index, null, target))}
        />
      </div>
      {typedBranches.length > 0 && (
        <p className="muted">
          Branches on typed answers:{" "}
          {typedBranches.map(([answer, target], i) => (
            <Fragment key={answer}>
              {i > 0 && ", "}“{answer}” → {target === END ? "end" : target}
            </Fragment>
          ))}{" "}
          <button type="button" className="small" onClick={() => update({ branches: {} })}>
            Remove them
          </button>
        </p>
      )}
      {errors[`${at}.branches`] && <p className="field-error">{errors[`${at}.branches`]}</p>}
      {errors[`${at}.id`] && <p className="field-error">{errors[`${at}.id`]}</p>}
      <div className="buttons">
        <button
          type="button"
          className="small"
          disabled={index === 0}
          aria-label={`Move question ${number} up`}
          onClick={() => onChange(moveQuestion(draft, index, -1))}
        >
          ↑ Up
        </button>
        <button
          type="button"
          className="small"
          disabled={index === draft.questions.length - 1}
          aria-label={`Move question ${number} down`}
          onClick={() => onChange(moveQuestion(draft, index, 1))}
        >
          ↓ Down
        </button>
        <button
          type="button"
          className="small"
          disabled={draft.questions.length === 1}
          aria-label={`Remove question ${number}`}
          onClick={() => onChange(removeQuestion(draft, index))}
        >
          Remove
        </button>
      </div>
    </fieldset>
  );
}

function TargetSelect({
  label,
  value,
  empty,
  draft,
  index,
  error,
  onChange,
}: {
  label: string;
  value: string;
  empty: string;
  draft: ScriptDraft;
  index: number;
  error?: string | undefined;
  onChange: (target: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">{empty}</option>
        {targetsAfter(draft, index, value).map((t) => (
          <option key={t.value} value={t.value}>
            {t.label}
          </option>
        ))}
      </select>
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </div>
  );
}
