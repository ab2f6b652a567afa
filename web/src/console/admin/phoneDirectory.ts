// The phone directory's pure part: two maps (extension -> agent, dialled number -> team) held
// as rows the admin adds to and removes from, checked before sending (nothing half-filled,
// nothing twice), and the API's refusals placed back on the row they name.
import { ApiError } from "../../shared/api";
import type { CtiDirectory } from "../../shared/types";

export type Section = "extensions" | "numbers";

export interface DirectoryRow {
  /** React's key: rows have no id of their own. */
  key: number;
  /** The extension (or name, address) or the number. */
  name: string;
  /** The agent's id (extensions) or the team's (numbers); "" for none chosen yet. */
  target: string;
}

export type DirectoryDraft = Record<Section, DirectoryRow[]>;

let keys = 0;

export function row(name = "", target = ""): DirectoryRow {
  keys += 1;
  return { key: keys, name, target };
}

export function toDraft(directory: CtiDirectory): DirectoryDraft {
  const rows = (map: Record<string, string>): DirectoryRow[] =>
    Object.entries(map)
      .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
      .map(([name, target]) => row(name, target));
  return { extensions: rows(directory.extensions), numbers: rows(directory.numbers) };
}

const digits = (text: string): string => text.replace(/\D/g, "").replace(/^0+/, "");

/** How two rows are the same entry: extensions regardless of case, numbers by their digits. */
function sameAs(section: Section, name: string): string {
  return section === "extensions" ? name.trim().toLowerCase() : digits(name);
}

export interface Checked {
  body: Omit<CtiDirectory, "version">;
  /** Messages by row: "extensions.2", "numbers.0". */
  problems: Record<string, string>;
}

/** The PUT body (without the version), with what the admin must fix first. Blank rows go. */
export function fromDraft(draft: DirectoryDraft): Checked {
  const problems: Record<string, string> = {};
  const body: Checked["body"] = { extensions: {}, numbers: {} };
  for (const section of ["extensions", "numbers"] as const) {
    const seen = new Map<string, number>();
    draft[section].forEach((r, i) => {
      const name = r.name.trim();
      if (!name && !r.target) return;
      const at = `${section}.${i}`;
      if (!name) {
        problems[at] = section === "extensions" ? "enter the extension" : "enter the number";
        return;
      }
      if (!r.target) {
        problems[at] = section === "extensions" ? "choose the agent" : "choose the team";
        return;
      }
      const same = sameAs(section, name);
      const first = seen.get(same);
      if (first !== undefined) {
        problems[at] = `listed already (row ${first + 1})`;
        return;
      }
      seen.set(same, i);
      body[section][name] = r.target;
    });
  }
  return { body, problems };
}

/**
 * The API's 422 on the rows it names: its detail's loc is ["body", section, key...] where the
 * key is the extension or number as sent (or, for a number, in E.164), split at its dots.
 * Whatever names no row is returned as `general`.
 */
export function placeErrors(
  error: unknown,
  draft: DirectoryDraft,
): { rows: Record<string, string>; general: string | null } {
  if (!(error instanceof ApiError) || error.status !== 422 || !Array.isArray(error.body.detail)) {
    return { rows: {}, general: error instanceof Error ? error.message : String(error) };
  }
  const rows: Record<string, string> = {};
  const loose: string[] = [];
  for (const item of error.body.detail as { loc?: unknown[]; msg?: unknown }[]) {
    const loc = Array.isArray(item.loc) ? item.loc.map(String) : [];
    const text = typeof item.msg === "string" ? item.msg.replace(/^Value error, /, "") : "invalid";
    const section = loc[1];
    const key = loc.slice(2).join(".");
    if ((section === "extensions" || section === "numbers") && key) {
      const wanted = sameAs(section, key);
      const exact = draft[section].findIndex((r) => r.name.trim() === key);
      const index =
        exact >= 0
          ? exact
          : draft[section].findIndex((r) => {
              const mine = sameAs(section, r.name);
              // "0115 555 9000" comes back as +441155559000: its national digits end it.
              return (
                mine !== "" && (mine === wanted || (section === "numbers" && wanted.endsWith(mine)))
              );
            });
      if (index >= 0) {
        rows[`${section}.${index}`] = text;
        continue;
      }
    }
    loose.push(key ? `${key}: ${text}` : text);
  }
  return { rows, general: loose.length ? loose.join("; ") : null };
}
