// Files on tickets. The API hands out a presigned form; the file goes straight from the
// browser to the bucket, then its key is named on the ticket or reply. Downloads are links
// the API signs for a few minutes, so they need no bearer token.
import { ApiError, get, request } from "./api";

/** Where a side of the app asks: "/api" for the console, "/portal/api" for the portal. */
export type ApiRoot = "/api" | "/portal/api";

export interface AttachmentInfo {
  index: number;
  filename: string;
  content_type: string;
  size: number;
  available: boolean;
}

interface UploadForm {
  key: string;
  url: string;
  fields: Record<string, string>;
  max_bytes: number;
}

interface DownloadLink {
  url: string;
  filename: string;
}

const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9.+_-]*\/[A-Za-z0-9.+_-]+$/;
const OCTETS = "application/octet-stream";

export function contentTypeOf(file: { type: string }): string {
  return CONTENT_TYPE.test(file.type) ? file.type : OCTETS;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The files an agent-side action lists (its meta, as mail ingest and uploads write it). */
export function attachmentsOfMeta(meta: Record<string, unknown>): AttachmentInfo[] {
  const listed = Array.isArray(meta.attachments) ? (meta.attachments as unknown[]) : [];
  return listed.map((raw, index) => {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    return {
      index,
      filename: typeof entry.filename === "string" ? entry.filename : "attachment",
      content_type: typeof entry.content_type === "string" ? entry.content_type : OCTETS,
      size: typeof entry.size === "number" ? entry.size : 0,
      available: typeof entry.key === "string",
    };
  });
}

export class UploadFailed extends Error {}

/** One file to the bucket; its key for the ticket or reply. */
export async function uploadFile(root: ApiRoot, file: File): Promise<string> {
  let form: UploadForm;
  try {
    form = await request<UploadForm>("POST", `${root}/attachments`, {
      body: { filename: file.name, content_type: contentTypeOf(file), size: file.size },
    });
  } catch (e) {
    const why = e instanceof ApiError ? e.message : String(e);
    throw new UploadFailed(`${file.name}: ${why}`);
  }
  const data = new FormData();
  for (const [name, value] of Object.entries(form.fields)) data.append(name, value);
  data.append("file", file); // last: S3 ignores fields after the file
  let stored: Response;
  try {
    stored = await fetch(form.url, { method: "POST", body: data });
  } catch {
    throw new UploadFailed(`${file.name}: the upload did not get through; try again`);
  }
  if (!stored.ok) throw new UploadFailed(`${file.name}: the upload was refused (${stored.status})`);
  return form.key;
}

/** Uploads each file once: a form sent again after a failure reuses what already went up. */
export class Uploads {
  private readonly done = new Map<File, string>();

  constructor(private readonly root: ApiRoot) {}

  async keys(files: File[]): Promise<string[]> {
    return Promise.all(
      files.map(async (file) => {
        const known = this.done.get(file);
        if (known) return known;
        const key = await uploadFile(this.root, file);
        this.done.set(file, key);
        return key;
      }),
    );
  }
}

/** Fetch a short-lived link and let the browser download the file. */
export async function downloadAttachment(
  root: ApiRoot,
  number: number,
  actionId: string,
  index: number,
): Promise<void> {
  const link = await get<DownloadLink>(
    `${root}/tickets/${number}/actions/${actionId}/attachments/${index}`,
  );
  const anchor = document.createElement("a");
  anchor.href = link.url;
  anchor.download = link.filename;
  anchor.rel = "noopener";
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
}
