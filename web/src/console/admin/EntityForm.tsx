// One generic form for every kind of reference data: fields from the resource's spec, the
// API's 422 shown at the field it names, and a stale save (409) shown with the fresh values so
// the admin chooses what wins.
import { Fragment, useId, useState } from "react";
import { ApiError } from "../../shared/api";
import { formErrors, message } from "../../shared/errors";
import {
  type Choices,
  type FieldSpec,
  FieldErrors,
  type FormValues,
  type Option,
  type Row,
  changedFields,
  emptyRow,
  fromForm,
  toForm,
} from "./form";

type Json = Record<string, unknown>;

export interface Save {
  /** Send the form; answers the entity as saved. */
  (next: Json, base: Json): Promise<Json>;
}

interface Props {
  label: string;
  fields: readonly FieldSpec[];
  base: Json;
  creating: boolean;
  save: Save;
  /** The entity as it is now, after a 409. */
  reload?: (() => Promise<Json>) | undefined;
  options: (choices: Choices) => readonly Option[];
  onSaved?: (saved: Json) => void;
  /** Every change the admin types (a form whose choices follow another field's value). */
  onChange?: (values: FormValues) => void;
  submitLabel?: string;
}

export function EntityForm({
  label,
  fields,
  base: initial,
  creating,
  save,
  reload,
  options,
  onSaved,
  onChange,
  submitLabel,
}: Props) {
  const [base, setBase] = useState<Json>(initial);
  const [values, setValues] = useState<FormValues>(() => toForm(fields, initial));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string[] | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const shown = fields.filter((f) => creating || !f.createOnly);
  const paths = shown.map((f) => f.path);

  let pending: Json = {};
  try {
    pending = creating ? {} : changedFields(base, fromForm(shown, base, values));
  } catch {
    pending = { invalid: true }; // unreadable input counts as a change
  }
  const dirty = creating || Object.keys(pending).length > 0;

  async function submit(against: Json = base): Promise<void> {
    setBusy(true);
    setSaved(false);
    try {
      const next = fromForm(shown, against, values);
      const out = await save(next, against);
      setBase(out);
      setValues(toForm(fields, out));
      setErrors({});
      setGeneral(null);
      setConflict(null);
      setSaved(true);
      onSaved?.(out);
    } catch (e) {
      if (e instanceof FieldErrors) {
        setErrors(e.byPath);
        setGeneral("Check the fields marked below.");
      } else if (e instanceof ApiError && e.status === 409 && reload) {
        const fresh = await reload();
        const theirs = Object.keys(changedFields(base, fresh));
        // Fields this admin did not touch take the fresh values; theirs win unless mine differ.
        const before = toForm(fields, base);
        const now = toForm(fields, fresh);
        const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
        setValues((old) =>
          Object.fromEntries(
            Object.entries(old).map(([path, v]) => [
              path,
              same(v, before[path]) ? (now[path] ?? v) : v,
            ]),
          ),
        );
        setBase(fresh);
        setConflict(theirs);
        setErrors({});
        setGeneral(null);
      } else {
        const placed = formErrors(e, paths);
        setErrors(placed.fields);
        setGeneral(placed.general ?? (Object.keys(placed.fields).length ? null : message(e)));
      }
    } finally {
      setBusy(false);
    }
  }

  const set = (path: string, value: FormValues[string]): void => {
    const next = { ...values, [path]: value };
    setValues(next);
    setSaved(false);
    onChange?.(next);
  };

  return (
    <form
      className="form-grid entity-form"
      aria-label={label}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {conflict && (
        <div className="conflict wide" role="alert">
          <p>
            <strong>Changed by someone else.</strong>{" "}
            {conflict.length
              ? `They changed: ${conflict.join(", ")}.`
              : "Nothing you see changed, but it was saved since you opened it."}{" "}
            Your changes are not saved yet.
          </p>
          <button type="button" disabled={busy} onClick={() => void submit(base)}>
            Save mine over theirs
          </button>{" "}
          <button
            type="button"
            onClick={() => {
              setValues(toForm(fields, base));
              setConflict(null);
            }}
          >
            Use theirs
          </button>
        </div>
      )}
      {shown.map((field) => (
        <Fragment key={field.path}>
          {field.section && <h2 className="wide form-section">{field.section}</h2>}
          <Field
            id={`${id}-${field.path}`}
            field={field}
            value={values[field.path] ?? ""}
            error={errors[field.path]}
            options={field.choices ? options(field.choices) : []}
            onChange={(v) => set(field.path, v)}
          />
        </Fragment>
      ))}
      {general && (
        <p role="alert" className="wide form-error">
          {general}
        </p>
      )}
      <div className="buttons wide">
        <button type="submit" disabled={busy || !dirty}>
          {submitLabel ?? (creating ? "Create" : "Save changes")}
        </button>
        {saved && (
          <span role="status" className="saved">
            Saved
          </span>
        )}
      </div>
    </form>
  );
}

function Field({
  id,
  field,
  value,
  error,
  options,
  onChange,
}: {
  id: string;
  field: FieldSpec;
  value: FormValues[string];
  error: string | undefined;
  options: readonly Option[];
  onChange: (value: FormValues[string]) => void;
}) {
  const text = typeof value === "string" ? value : "";
  const described = [error ? `${id}-error` : null, field.help ? `${id}-help` : null]
    .filter(Boolean)
    .join(" ");
  const common = {
    id,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described || undefined,
  } as const;
  const after = (
    <>
      {field.help && (
        <span id={`${id}-help`} className="help">
          {field.help}
        </span>
      )}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </>
  );

  if (field.kind === "checkbox") {
    return (
      <div className="field check">
        <label htmlFor={id}>
          <input
            {...common}
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange(e.target.checked)}
          />
          {field.label}
        </label>
        {after}
      </div>
    );
  }
  if (field.kind === "rows") {
    const rows = Array.isArray(value) ? (value as Row[]) : [];
    const columns = field.columns ?? [];
    const change = (i: number, key: string, text: string): void =>
      onChange(rows.map((r, j) => (j === i ? { ...r, [key]: text } : r)));
    return (
      <fieldset
        className="field rows wide"
        aria-describedby={described || undefined}
        aria-invalid={error ? true : undefined}
      >
        <legend>{field.label}</legend>
        {rows.length > 0 && (
          <table className="compact">
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.key} scope="col">
                    {c.label}
                  </th>
                ))}
                <td />
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  {columns.map((c) => (
                    <td key={c.key}>
                      {c.kind === "select" ? (
                        <select
                          aria-label={`${c.label} ${i + 1}`}
                          value={row[c.key] ?? ""}
                          onChange={(e) => change(i, c.key, e.target.value)}
                        >
                          {c.nullable && <option value="">None</option>}
                          {(c.choices ?? []).map((o) => (
                            <option key={o.value} value={o.value}>
                              {o.label}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <input
                          type="text"
                          aria-label={`${c.label} ${i + 1}`}
                          value={row[c.key] ?? ""}
                          placeholder={c.placeholder}
                          onChange={(e) => change(i, c.key, e.target.value)}
                        />
                      )}
                    </td>
                  ))}
                  <td>
                    <button
                      type="button"
                      className="small"
                      aria-label={`Remove ${field.label.toLowerCase()} ${i + 1}`}
                      onClick={() => onChange(rows.filter((_, j) => j !== i))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div>
          <button type="button" onClick={() => onChange([...rows, emptyRow(field)])}>
            Add {field.addLabel ?? field.label.toLowerCase()}
          </button>
        </div>
        {after}
      </fieldset>
    );
  }
  if (field.kind === "multi") {
    const ticked = (Array.isArray(value) ? value : []) as string[];
    return (
      <fieldset className="field multi wide" aria-describedby={described || undefined}>
        <legend>{field.label}</legend>
        <div className="ticks">
          {options.map((o) => (
            <label key={o.value}>
              <input
                type="checkbox"
                checked={ticked.includes(o.value)}
                onChange={(e) =>
                  onChange(
                    e.target.checked ? [...ticked, o.value] : ticked.filter((v) => v !== o.value),
                  )
                }
              />
              {o.label}
            </label>
          ))}
        </div>
        {after}
      </fieldset>
    );
  }
  const wide = ["textarea", "lines", "json"].includes(field.kind);
  let control: React.ReactNode;
  if (field.kind === "select") {
    control = (
      <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
        {(field.nullable || !field.required || text === "") && (
          <option value="">{field.nullable ? "None" : "Choose…"}</option>
        )}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else if (wide) {
    control = (
      <textarea
        {...common}
        rows={field.kind === "json" ? 4 : 3}
        value={text}
        placeholder={field.placeholder}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  } else {
    control = (
      <span className={field.kind === "colour" ? "with-swatch" : undefined}>
        <input
          {...common}
          type={field.kind === "date" ? "date" : "text"}
          inputMode={["number", "decimal", "float"].includes(field.kind) ? "decimal" : undefined}
          value={text}
          placeholder={field.placeholder}
          onChange={(e) => onChange(e.target.value)}
        />
        {field.kind === "colour" && /^#[0-9a-fA-F]{6}$/.test(text) && (
          <span className="swatch" style={{ background: text }} aria-hidden="true" />
        )}
      </span>
    );
  }
  return (
    <div className={wide ? "field wide" : "field"}>
      <label htmlFor={id}>
        {field.label}
        {field.required && <span aria-hidden="true"> *</span>}
      </label>
      {control}
      {after}
    </div>
  );
}
