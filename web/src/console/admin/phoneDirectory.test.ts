import { describe, expect, it } from "vitest";
import { ApiError } from "../../shared/api";
import { type DirectoryDraft, fromDraft, placeErrors, row, toDraft } from "./phoneDirectory";

const directory = {
  extensions: { "202": "ag_kim", "201": "ag_sam", "sam@msp.example": "ag_sam" },
  numbers: { "+441155559000": "team_desk" },
  version: 4,
};

describe("the directory as rows", () => {
  it("round-trips what the API sent, extensions in order", () => {
    const draft = toDraft(directory);
    expect(draft.extensions.map((r) => r.name)).toEqual(["201", "202", "sam@msp.example"]);
    const { version: _version, ...body } = directory;
    expect(fromDraft(draft)).toEqual({ body, problems: {} });
  });

  it("drops blank rows and names half-filled and repeated ones", () => {
    const draft: DirectoryDraft = {
      extensions: [row("201", "ag_sam"), row("", ""), row("", "ag_kim"), row("SAM", "ag_sam")],
      numbers: [
        row("0115 555 9000", "team_desk"),
        row("01155559000", "team_other"),
        row("0114 555 0000", ""),
      ],
    };
    draft.extensions.push(row("sam", "ag_kim"));
    const { body, problems } = fromDraft(draft);
    expect(body).toEqual({
      extensions: { "201": "ag_sam", SAM: "ag_sam" },
      numbers: { "0115 555 9000": "team_desk" },
    });
    expect(problems).toEqual({
      "extensions.2": "enter the extension",
      "extensions.4": "listed already (row 4)",
      "numbers.1": "listed already (row 1)",
      "numbers.2": "choose the team",
    });
  });
});

describe("the API's refusals", () => {
  const draft: DirectoryDraft = {
    extensions: [row("sam@msp.example", "ag_gone")],
    numbers: [row("0115 555 9000", "team_gone"), row("not a number", "team_desk")],
  };
  const refusal = (loc: string[], msg: string): ApiError =>
    new ApiError(422, { detail: [{ loc: ["body", ...loc], msg, type: "invalid" }] });

  it("lands on the row it names, an address split at its dots or a number in E.164", () => {
    expect(
      placeErrors(refusal(["extensions", "sam@msp", "example"], "no agent ag_gone"), draft),
    ).toEqual({ rows: { "extensions.0": "no agent ag_gone" }, general: null });
    expect(placeErrors(refusal(["numbers", "+441155559000"], "no team team_gone"), draft)).toEqual({
      rows: { "numbers.0": "no team team_gone" },
      general: null,
    });
  });

  it("says what names no row for the whole form", () => {
    expect(placeErrors(refusal(["version"], "bad"), draft)).toEqual({
      rows: {},
      general: "bad",
    });
    expect(placeErrors(new Error("offline"), draft).general).toBe("offline");
  });
});
