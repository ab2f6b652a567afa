import { describe, expect, it } from "vitest";
import { base64Url } from "./auth";
import { parseConfig } from "./config";

describe("parseConfig", () => {
  it("reads local dev sign-in", () => {
    expect(parseConfig({ auth: "dev" })).toEqual({ auth: "dev", apiBase: "", screenPopUrl: null });
    expect(parseConfig({})).toEqual({ auth: "dev", apiBase: "", screenPopUrl: null });
  });

  it("reads the screen-pop socket's address, WebSocket URLs only", () => {
    const url = "wss://abc.execute-api.eu-west-2.amazonaws.com/prod";
    expect(parseConfig({ wsUrl: url }).screenPopUrl).toBe(url);
    expect(parseConfig({ wsUrl: "https://x.example" }).screenPopUrl).toBeNull();
  });

  it("reads Cognito's hosted UI and trims trailing slashes", () => {
    expect(
      parseConfig({
        auth: "cognito",
        cognitoDomain: "desk.auth.eu-west-2.amazoncognito.com/",
        clientId: "abc",
        apiBase: "https://api.example.com/",
      }),
    ).toEqual({
      auth: "cognito",
      cognitoDomain: "https://desk.auth.eu-west-2.amazoncognito.com",
      clientId: "abc",
      apiBase: "https://api.example.com",
      screenPopUrl: null,
    });
  });

  it("refuses a Cognito config without its domain or client, and unknown kinds", () => {
    expect(() => parseConfig({ auth: "cognito", clientId: "abc" })).toThrow(/cognitoDomain/);
    expect(() => parseConfig({ auth: "saml" })).toThrow(/unknown auth/);
  });
});

describe("base64Url", () => {
  it("encodes without padding or URL-unsafe characters (RFC 7636)", () => {
    expect(base64Url(new Uint8Array([251, 255, 191]))).toBe("-_-_");
    expect(base64Url(new Uint8Array([1]))).toBe("AQ");
  });
});
