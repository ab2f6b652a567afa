import { describe, expect, it } from "vitest";
import { NEUTRAL, brandOf, readableOn } from "./branding";

describe("brandOf", () => {
  it("prefers the portal's display name to the client's name", () => {
    const branding = {
      display_name: "Harbour Law IT Support",
      logo_url: null,
      primary_colour: "#0b3d5c",
      accent_colour: "#c9a227",
      host: null,
    };
    expect(brandOf("cl_1", "Harbour Law LLP", branding)).toEqual({
      clientId: "cl_1",
      name: "Harbour Law IT Support",
      logoUrl: null,
      primary: "#0b3d5c",
      accent: "#c9a227",
    });
    expect(brandOf("cl_1", "Harbour Law LLP", { ...branding, display_name: null }).name).toBe(
      "Harbour Law LLP",
    );
  });

  it("falls back to neutral colours for anything that is not #rrggbb", () => {
    const odd = {
      display_name: null,
      logo_url: null,
      primary_colour: "red;x",
      accent_colour: "#12",
      host: null,
    };
    const brand = brandOf("cl_1", "Acme", odd);
    expect([brand.primary, brand.accent]).toEqual([NEUTRAL.primary, NEUTRAL.accent]);
  });
});

describe("readableOn", () => {
  it("puts white text on dark colours and dark text on light ones", () => {
    expect(readableOn("#0b3d5c")).toBe("#ffffff");
    expect(readableOn("#f5f7fa")).toBe("#111111");
    expect(readableOn("#00a19a")).toBe("#ffffff");
  });
});
