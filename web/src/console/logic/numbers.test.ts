import { describe, expect, it } from "vitest";
import { parseNumbers } from "./numbers";

describe("parseNumbers", () => {
  it("reads numbers separated by commas or spaces, with or without #", () => {
    expect(parseNumbers("12, 15 #18;12")).toEqual([12, 15, 18]);
    expect(parseNumbers("")).toEqual([]);
  });

  it("refuses anything that is not a ticket number", () => {
    expect(parseNumbers("12, abc")).toBeNull();
    expect(parseNumbers("0")).toBeNull();
  });
});
