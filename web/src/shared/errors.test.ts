import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { formErrors, message } from "./errors";

const invalid = (...detail: { loc: unknown[]; msg: string }[]) =>
  new ApiError(422, { error: "validation_error", message: "invalid", detail });

describe("formErrors", () => {
  it("puts a 422 on the field it names, without the body prefix", () => {
    const out = formErrors(invalid({ loc: ["body", "branding", "primary_colour"], msg: "bad" }), [
      "name",
      "branding.primary_colour",
    ]);
    expect(out).toEqual({ fields: { "branding.primary_colour": "bad" }, general: null });
  });

  it("keeps pydantic's reason without its prefix", () => {
    const out = formErrors(
      invalid({ loc: ["body", "host"], msg: "Value error, not a domain name" }),
    );
    expect(out.fields).toEqual({ host: "not a domain name" });
  });

  it("falls back to the nearest enclosing field the form has", () => {
    const out = formErrors(
      invalid({ loc: ["body", "targets", "P1", "resolution_minutes"], msg: "x" }),
      ["targets"],
    );
    expect(out.fields).toEqual({ targets: "x" });
  });

  it("keeps what no field shows as a general message", () => {
    const out = formErrors(invalid({ loc: ["header", "if-match"], msg: "missing" }), ["name"]);
    expect(out).toEqual({ fields: {}, general: "if-match: missing" });
  });

  it("says a conflict and other errors in one line", () => {
    expect(formErrors(new ApiError(409, { message: "stale" })).general).toMatch(/someone else/);
    expect(message(new ApiError(500, { message: "boom" }))).toBe("boom");
    expect(message(new Error("offline"))).toBe("offline");
  });
});
