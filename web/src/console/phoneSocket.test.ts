import { describe, expect, it } from "vitest";
import { parseConfig } from "../shared/config";
import { screenPopUrl } from "./phoneSocket";

const here = { protocol: "https:", host: "desk.example" };

describe("screenPopUrl", () => {
  it("is the local API's /api/ws in dev, with the token", () => {
    expect(screenPopUrl(parseConfig({}), "a b", here)).toBe(
      "wss://desk.example/api/ws?token=a%20b",
    );
    expect(screenPopUrl(parseConfig({ apiBase: "http://127.0.0.1:8000" }), "t", here)).toBe(
      "ws://127.0.0.1:8000/api/ws?token=t",
    );
  });

  it("is the deployment's socket in AWS, and nothing when it names none", () => {
    const cognito = { auth: "cognito", cognitoDomain: "x.example", clientId: "c" };
    const url = "wss://abc.execute-api.eu-west-2.amazonaws.com/prod";
    expect(screenPopUrl(parseConfig({ ...cognito, wsUrl: url }), "t", here)).toBe(`${url}?token=t`);
    expect(screenPopUrl(parseConfig(cognito), "t", here)).toBeNull();
  });
});
