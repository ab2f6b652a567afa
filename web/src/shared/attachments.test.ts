import { afterEach, describe, expect, it, vi } from "vitest";
import { configureApi } from "./api";
import { UploadFailed, Uploads, attachmentsOfMeta, contentTypeOf, formatSize } from "./attachments";

describe("attachmentsOfMeta", () => {
  it("lists mail attachments and uploads by position, those not kept as unavailable", () => {
    const files = attachmentsOfMeta({
      attachments: [
        { filename: "log.txt", content_type: "text/plain", size: 12, key: "attachments/x" },
        { filename: "huge.iso", content_type: "application/x-iso", size: 9e9, skipped: "big" },
      ],
    });
    expect(files.map((f) => [f.index, f.filename, f.available])).toEqual([
      [0, "log.txt", true],
      [1, "huge.iso", false],
    ]);
    expect(attachmentsOfMeta({})).toEqual([]);
  });
});

describe("contentTypeOf and formatSize", () => {
  it("sends an unknown or odd type as octets and shows sizes people read", () => {
    expect(contentTypeOf({ type: "" })).toBe("application/octet-stream");
    expect(contentTypeOf({ type: "text/plain; charset=utf-8" })).toBe("application/octet-stream");
    expect(contentTypeOf({ type: "image/png" })).toBe("image/png");
    expect(formatSize(900)).toBe("900 B");
    expect(formatSize(2048)).toBe("2 KB");
    expect(formatSize(3.5 * 1024 * 1024)).toBe("3.5 MB");
  });
});

describe("Uploads", () => {
  afterEach(() => vi.unstubAllGlobals());

  function fakeNetwork(bucketStatus: number) {
    const calls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init: RequestInit) => {
        calls.push(`${init.method} ${url}`);
        if (url === "/api/attachments") {
          const asked = JSON.parse(String(init.body)) as { filename: string };
          return new Response(
            JSON.stringify({
              key: `uploads/a/${asked.filename}`,
              url: "https://bucket.example/",
              fields: { key: `uploads/a/${asked.filename}` },
              max_bytes: 100,
            }),
            { status: 201 },
          );
        }
        return new Response(null, { status: bucketStatus });
      }),
    );
    configureApi({ apiBase: "", token: () => "t", onUnauthorized: () => undefined });
    return calls;
  }

  it("uploads each file once, so sending the form again reuses what went up", async () => {
    const calls = fakeNetwork(204);
    const uploads = new Uploads("/api");
    const file = new File(["hello"], "hello.txt", { type: "text/plain" });
    expect(await uploads.keys([file])).toEqual(["uploads/a/hello.txt"]);
    expect(await uploads.keys([file])).toEqual(["uploads/a/hello.txt"]);
    expect(calls).toEqual(["POST /api/attachments", "POST https://bucket.example/"]);
  });

  it("names the file when the bucket refuses it", async () => {
    fakeNetwork(403);
    const file = new File(["x"], "report.pdf", { type: "application/pdf" });
    await expect(new Uploads("/api").keys([file])).rejects.toThrow(UploadFailed);
    await expect(new Uploads("/api").keys([file])).rejects.toThrow(/report\.pdf/);
  });
});
