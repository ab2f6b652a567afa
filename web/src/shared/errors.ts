// What the API's error bodies say, in the words and places a form needs: a 422 names the
// field at fault in `detail[].loc` (["body", "branding", "primary_colour"]), shown beside that
// field; anything else is one message for the whole form.
import { ApiError } from "./api";

export interface FormErrors {
  /** Messages by dotted field path ("branding.primary_colour", "conditions.keywords.0"). */
  fields: Record<string, string>;
  /** What no field can show. */
  general: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, general: null };

const WHERE = new Set(["body", "query", "path", "header"]);

function pathOf(loc: unknown): string | null {
  if (!Array.isArray(loc)) return null;
  const parts = loc.map(String);
  if (parts.length > 0 && WHERE.has(parts[0] ?? "")) parts.shift();
  return parts.length ? parts.join(".") : null;
}

export function message(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 409) return "Changed by someone else since you read it.";
    if (error.status === 403) return "Not allowed: this needs the admin role.";
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The errors of a failed save, placed: each 422 detail on the field it names when the form has
 * that field (or the nearest enclosing one: "targets.P1.response_minutes" falls back to
 * "targets"), else in `general`.
 */
export function formErrors(error: unknown, known: readonly string[] = []): FormErrors {
  if (!(error instanceof ApiError) || error.status !== 422 || !Array.isArray(error.body.detail)) {
    return { fields: {}, general: message(error) };
  }
  const fields: Record<string, string> = {};
  const loose: string[] = [];
  for (const item of error.body.detail as unknown[]) {
    const detail = (typeof item === "object" && item !== null ? item : {}) as Record<
      string,
      unknown
    >;
    // Pydantic says "Value error, not a domain name": the reason alone reads better.
    const text =
      typeof detail.msg === "string" ? detail.msg.replace(/^Value error, /, "") : "invalid";
    const path = pathOf(detail.loc);
    const target = path === null ? null : placeFor(path, known);
    if (target === null) loose.push(path ? `${path}: ${text}` : text);
    else if (!(target in fields)) fields[target] = text;
  }
  return { fields, general: loose.length ? loose.join("; ") : null };
}

function placeFor(path: string, known: readonly string[]): string | null {
  if (known.length === 0) return path;
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join(".");
    if (known.includes(candidate)) return candidate;
  }
  return null;
}
