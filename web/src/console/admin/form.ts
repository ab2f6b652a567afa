// The admin forms' pure part: fields addressed by dotted path into the entity's JSON, shown as
// text, ticks, choices and rows, and turned back into the JSON the API takes. An update sends only
// the top-level fields that changed (the API merges top-level fields; a nested object such as
// `branding` goes whole).

export type FieldKind =
  | "text" // a string; "" is null when the field is nullable
  | "textarea"
  | "number" // an integer
  | "decimal" // a money amount or hours, sent as a string
  | "float" // a fraction such as a threshold, sent as a number
  | "checkbox"
  | "select"
  | "multi" // several ids, ticked
  | "lines" // a list of strings, one per line (or comma-separated)
  | "colour" // #rrggbb
  | "date"
  | "intervals" // working hours: "09:00-17:30, 18:00-20:00"
  | "rows" // a list of small objects (remote-access links), one row of inputs each
  | "json"; // anything else, as JSON text

export interface Option {
  value: string;
  label: string;
}

/** Where a select's choices come from: fixed, or a kind of reference data by its admin path
 * (`perClient`: the entity's own client's, such as its sites and end-users). */
export type Choices = readonly Option[] | { ref: string; perClient?: boolean };

/** One input of a "rows" field's row: a key of the objects in the list. */
export interface ColumnSpec {
  key: string;
  label: string;
  kind: "text" | "select";
  choices?: readonly Option[];
  required?: boolean;
  /** "" is sent as null. */
  nullable?: boolean;
  placeholder?: string;
}

export interface FieldSpec {
  path: string;
  label: string;
  kind: FieldKind;
  choices?: Choices;
  nullable?: boolean;
  required?: boolean;
  /** Only set when creating (an entity's client, say). */
  createOnly?: boolean;
  help?: string;
  placeholder?: string;
  /** A heading shown before this field: it starts a group. */
  section?: string;
  /** The inputs of each row of a "rows" field, and what its add button says. */
  columns?: readonly ColumnSpec[];
  addLabel?: string;
}

export type Row = Record<string, string>;
export type FormValue = string | boolean | string[] | Row[];
export type FormValues = Record<string, FormValue>;
type Json = Record<string, unknown>;

export function getPath(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Json)[part];
  }
  return current;
}

/** A copy of `object` with `value` at `path`, making the objects on the way. */
export function setPath(object: Json, path: string, value: unknown): Json {
  const [head, ...rest] = path.split(".");
  if (head === undefined) return object;
  if (rest.length === 0) return { ...object, [head]: value };
  const inner = object[head];
  const child = typeof inner === "object" && inner !== null ? (inner as Json) : {};
  return { ...object, [head]: setPath(child, rest.join("."), value) };
}

const hhmm = (time: string): string => time.slice(0, 5);

export function toValue(field: FieldSpec, raw: unknown): FormValue {
  switch (field.kind) {
    case "checkbox":
      return raw === true;
    case "multi":
      return Array.isArray(raw) ? raw.map(String) : [];
    case "lines":
      return Array.isArray(raw) ? raw.map(String).join("\n") : "";
    case "intervals":
      return Array.isArray(raw)
        ? raw
            .map(
              (i: { start?: string; end?: string }) =>
                `${hhmm(i.start ?? "")}-${hhmm(i.end ?? "")}`,
            )
            .join(", ")
        : "";
    case "rows":
      return Array.isArray(raw) ? raw.map((r: unknown) => toRow(field, r)) : [];
    case "json":
      return raw === undefined ? "" : JSON.stringify(raw, null, 2);
    default:
      return raw === null || raw === undefined ? "" : String(raw);
  }
}

function toRow(field: FieldSpec, raw: unknown): Row {
  const object = typeof raw === "object" && raw !== null ? (raw as Json) : {};
  return Object.fromEntries(
    (field.columns ?? []).map((c) => {
      const value = object[c.key];
      return [c.key, value === null || value === undefined ? "" : String(value)];
    }),
  );
}

/** A blank row of a "rows" field: its selects on their first choice. */
export function emptyRow(field: FieldSpec): Row {
  return Object.fromEntries(
    (field.columns ?? []).map((c) => [
      c.key,
      c.kind === "select" && !c.nullable ? (c.choices?.[0]?.value ?? "") : "",
    ]),
  );
}

function fromRows(field: FieldSpec, value: FormValue): Json[] {
  const columns = field.columns ?? [];
  const rows = Array.isArray(value) ? (value as Row[]) : [];
  const out: Json[] = [];
  rows.forEach((row, i) => {
    // A row with nothing typed in its text inputs is a row the admin did not fill: dropped.
    const typed = columns.filter((c) => c.kind === "text").some((c) => (row[c.key] ?? "").trim());
    if (!typed) return;
    const object: Json = {};
    for (const column of columns) {
      const text = (row[column.key] ?? "").trim();
      if (!text && column.required) {
        throw new FieldError(field.path, `row ${i + 1}: ${column.label.toLowerCase()} is required`);
      }
      object[column.key] = text === "" && column.nullable ? null : text;
    }
    out.push(object);
  });
  return out;
}

export function toForm(fields: readonly FieldSpec[], entity: Json): FormValues {
  const out: FormValues = {};
  for (const field of fields) out[field.path] = toValue(field, getPath(entity, field.path));
  return out;
}

export class FieldError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function parseIntervals(text: string, path: string): { start: string; end: string }[] {
  const out: { start: string; end: string }[] = [];
  for (const part of text
    .split(/[,\n]+/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [start, end] = part.split("-").map((t) => t.trim());
    if (!start || !end || !TIME.test(start) || !TIME.test(end)) {
      throw new FieldError(path, `write hours as 09:00-17:30 (got "${part}")`);
    }
    const pad = (t: string): string => `${t.padStart(5, "0")}:00`;
    out.push({ start: pad(start), end: pad(end) });
  }
  return out;
}

/** The JSON value of one field, or FieldError with what is wrong. */
export function fromValue(field: FieldSpec, value: FormValue): unknown {
  const text = typeof value === "string" ? value.trim() : "";
  switch (field.kind) {
    case "checkbox":
      return value === true;
    case "multi":
      return Array.isArray(value) ? value : [];
    case "lines":
      return text
        .split(/\n|,/)
        .map((s) => s.trim())
        .filter(Boolean);
    case "intervals":
      return parseIntervals(text, field.path);
    case "rows":
      return fromRows(field, value);
    case "json":
      if (!text) return field.nullable ? null : undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new FieldError(field.path, "not valid JSON");
      }
    case "number":
      if (!text) {
        if (field.nullable) return null;
        throw new FieldError(field.path, "enter a whole number");
      }
      if (!/^-?\d+$/.test(text)) throw new FieldError(field.path, "enter a whole number");
      return Number(text);
    case "decimal":
      if (!text) {
        if (field.nullable) return null;
        throw new FieldError(field.path, "enter a number");
      }
      if (!/^\d+(\.\d+)?$/.test(text))
        throw new FieldError(field.path, "enter a number, e.g. 95.00");
      return text;
    case "float":
      if (!/^\d+(\.\d+)?$/.test(text)) throw new FieldError(field.path, "enter a number, e.g. 0.6");
      return Number(text);
    case "colour":
      if (!/^#[0-9a-fA-F]{6}$/.test(text))
        throw new FieldError(field.path, "a colour like #1f6feb");
      return text.toLowerCase();
    default:
      if (!text) {
        if (field.required) throw new FieldError(field.path, "required");
        return field.nullable ? null : "";
      }
      return typeof value === "string" ? value : text;
  }
}

/**
 * The entity `base` with the form's values on top; throws the first FieldError. Fields whose
 * value is undefined (an empty optional JSON field) keep the base's.
 */
export function fromForm(fields: readonly FieldSpec[], base: Json, values: FormValues): Json {
  let out = base;
  const errors: FieldError[] = [];
  for (const field of fields) {
    const value = values[field.path];
    if (value === undefined) continue;
    try {
      const parsed = fromValue(field, value);
      if (parsed !== undefined) out = setPath(out, field.path, parsed);
    } catch (e) {
      if (e instanceof FieldError) errors.push(e);
      else throw e;
    }
  }
  if (errors.length) throw new FieldErrors(errors);
  return out;
}

export class FieldErrors extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join("; "));
  }

  get byPath(): Record<string, string> {
    return Object.fromEntries(this.errors.map((e) => [e.path, e.message]));
  }
}

const STORED = new Set(["id", "version", "created_at", "updated_at"]);

/** The top-level fields of `next` that differ from `base`: the body of a PATCH. */
export function changedFields(base: Json, next: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(next)) {
    if (STORED.has(key)) continue;
    if (JSON.stringify(value) !== JSON.stringify(base[key])) out[key] = value;
  }
  return out;
}

/** What a create sends: the entity without the fields the desk sets. */
export function creatable(entity: Json): Json {
  return Object.fromEntries(Object.entries(entity).filter(([k]) => !STORED.has(k)));
}
