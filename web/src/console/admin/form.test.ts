import { describe, expect, it } from "vitest";
import {
  type FieldSpec,
  FieldErrors,
  changedFields,
  emptyRow,
  fromForm,
  getPath,
  setPath,
  toForm,
} from "./form";

const fields: FieldSpec[] = [
  { path: "name", label: "Name", kind: "text", required: true },
  { path: "branding.logo_url", label: "Logo", kind: "text", nullable: true },
  { path: "branding.primary_colour", label: "Primary", kind: "colour" },
  { path: "email_domains", label: "Domains", kind: "lines" },
  { path: "unsupported", label: "Unsupported", kind: "checkbox" },
  { path: "week.1", label: "Monday", kind: "intervals" },
  { path: "warning_percent", label: "Warn at", kind: "number" },
];

const client = {
  id: "cl_1",
  version: 3,
  name: "Acme",
  email_domains: ["acme.example"],
  unsupported: false,
  branding: { display_name: "Acme IT", logo_url: null, primary_colour: "#1f6feb" },
  week: { "1": [{ start: "09:00:00", end: "17:30:00" }] },
  warning_percent: 75,
};

describe("paths", () => {
  it("reads and writes nested fields without touching the original", () => {
    expect(getPath(client, "branding.primary_colour")).toBe("#1f6feb");
    const out = setPath(client, "branding.logo_url", "https://x/logo.png");
    expect(getPath(out, "branding.logo_url")).toBe("https://x/logo.png");
    expect(getPath(out, "branding.display_name")).toBe("Acme IT");
    expect(client.branding.logo_url).toBeNull();
  });
});

describe("toForm and fromForm", () => {
  it("round-trips an entity", () => {
    const values = toForm(fields, client);
    expect(values["week.1"]).toBe("09:00-17:30");
    expect(values["email_domains"]).toBe("acme.example");
    expect(fromForm(fields, client, values)).toEqual(client);
  });

  it("turns text back into lists, nulls, numbers and working hours", () => {
    const values = {
      ...toForm(fields, client),
      email_domains: "a.example, b.example\nc.example",
      "branding.logo_url": "",
      "week.1": "8:00-12:00, 13:00-17:00",
      warning_percent: "80",
    };
    const out = fromForm(fields, client, values);
    expect(out.email_domains).toEqual(["a.example", "b.example", "c.example"]);
    expect(getPath(out, "branding.logo_url")).toBeNull();
    expect(getPath(out, "week.1")).toEqual([
      { start: "08:00:00", end: "12:00:00" },
      { start: "13:00:00", end: "17:00:00" },
    ]);
    expect(out.warning_percent).toBe(80);
  });

  it("names every field that cannot be read", () => {
    const values = {
      ...toForm(fields, client),
      name: " ",
      "branding.primary_colour": "blue",
      warning_percent: "lots",
    };
    try {
      fromForm(fields, client, values);
      expect.unreachable();
    } catch (e) {
      expect((e as FieldErrors).byPath).toEqual({
        name: "required",
        "branding.primary_colour": "a colour like #1f6feb",
        warning_percent: "enter a whole number",
      });
    }
  });
});

describe("changedFields", () => {
  it("sends changed top-level fields only, nested objects whole", () => {
    const next = setPath(client, "branding.primary_colour", "#ff0000");
    expect(changedFields(client, next)).toEqual({
      branding: { ...client.branding, primary_colour: "#ff0000" },
    });
    expect(changedFields(client, client)).toEqual({});
  });
});

describe("rows", () => {
  const remote: FieldSpec = {
    path: "remote_access",
    label: "Remote access",
    kind: "rows",
    columns: [
      {
        key: "kind",
        label: "Tool",
        kind: "select",
        choices: [
          { value: "rdp", label: "RDP" },
          { value: "teamviewer", label: "TeamViewer" },
        ],
      },
      { key: "target", label: "Target", kind: "text", required: true },
      { key: "label", label: "Label", kind: "text", nullable: true },
    ],
  };
  const asset = {
    name: "PC-1",
    remote_access: [{ kind: "rdp", target: "pc-1.acme.local", label: null, launch_url: "rdp://x" }],
  };

  it("shows each object as a row of text and sends back only the row's keys", () => {
    const values = toForm([remote], asset);
    expect(values.remote_access).toEqual([{ kind: "rdp", target: "pc-1.acme.local", label: "" }]);
    expect(fromForm([remote], asset, values).remote_access).toEqual([
      { kind: "rdp", target: "pc-1.acme.local", label: null },
    ]);
  });

  it("starts a new row on the first choice, drops rows left blank, names a missing target", () => {
    const blank = emptyRow(remote);
    expect(blank).toEqual({ kind: "rdp", target: "", label: "" });
    const values = { remote_access: [blank, { kind: "teamviewer", target: " 123 ", label: "TV" }] };
    expect(fromForm([remote], asset, values).remote_access).toEqual([
      { kind: "teamviewer", target: "123", label: "TV" },
    ]);
    try {
      fromForm([remote], asset, { remote_access: [{ kind: "rdp", target: "", label: "x" }] });
      expect.unreachable();
    } catch (e) {
      expect((e as FieldErrors).byPath).toEqual({ remote_access: "row 1: target is required" });
    }
  });
});
