// The file picker of a ticket or reply form, and the files a message carries.
import { useState } from "react";
import { message } from "./errors";
import { type ApiRoot, type AttachmentInfo, downloadAttachment, formatSize } from "./attachments";

export const MAX_FILES = 10;

export function FilePicker({
  files,
  onChange,
  disabled = false,
}: {
  files: File[];
  onChange: (files: File[]) => void;
  disabled?: boolean;
}) {
  function add(chosen: FileList | null): void {
    if (!chosen) return;
    const known = new Set(files.map((f) => `${f.name}/${f.size}/${f.lastModified}`));
    const added = [...chosen].filter((f) => !known.has(`${f.name}/${f.size}/${f.lastModified}`));
    onChange([...files, ...added].slice(0, MAX_FILES));
  }

  return (
    <div className="file-picker">
      <label>
        Attach files
        <input
          type="file"
          multiple
          disabled={disabled || files.length >= MAX_FILES}
          onChange={(e) => {
            add(e.target.files);
            e.target.value = ""; // the same file may be chosen again after removing it
          }}
        />
      </label>
      {files.length >= MAX_FILES && (
        <p className="muted">{MAX_FILES} files at most in one message.</p>
      )}
      {files.length > 0 && (
        <ul aria-label="Files to send" className="files">
          {files.map((file) => (
            <li key={`${file.name}/${file.size}/${file.lastModified}`}>
              {file.name} <span className="muted">({formatSize(file.size)})</span>{" "}
              <button
                type="button"
                disabled={disabled}
                aria-label={`Remove ${file.name}`}
                onClick={() => onChange(files.filter((f) => f !== file))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function AttachmentList({
  root,
  number,
  actionId,
  files,
}: {
  root: ApiRoot;
  number: number;
  actionId: string;
  files: AttachmentInfo[];
}) {
  const [error, setError] = useState<string | null>(null);
  if (files.length === 0) return null;
  return (
    <div className="attachments">
      <ul aria-label="Attachments" className="files">
        {files.map((file) => (
          <li key={file.index}>
            {file.available ? (
              <button
                type="button"
                className="link"
                onClick={() => {
                  setError(null);
                  downloadAttachment(root, number, actionId, file.index).catch((e: unknown) =>
                    setError(`${file.filename}: ${message(e)}`),
                  );
                }}
              >
                {file.filename}
              </button>
            ) : (
              <span>{file.filename}</span>
            )}{" "}
            <span className="muted">
              ({formatSize(file.size)}
              {!file.available && ", not kept: too large or unreadable"})
            </span>
          </li>
        ))}
      </ul>
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
