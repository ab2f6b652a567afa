// The runtime configuration the server writes beside the app (`/config.json`): the same build
// runs locally (dev sign-in) and in AWS (Cognito hosted UI).

export type AppConfig =
  | { auth: "dev"; apiBase: string; screenPopUrl: string | null }
  | {
      auth: "cognito";
      apiBase: string;
      cognitoDomain: string;
      clientId: string;
      screenPopUrl: string | null;
    };

export function parseConfig(raw: unknown): AppConfig {
  const data = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const apiBase = typeof data.apiBase === "string" ? data.apiBase.replace(/\/+$/, "") : "";
  // The screen-pop WebSocket: in AWS the deployment writes the WebSocket API's URL as `wsUrl`
  // (infra/components/web.py); locally there is none and the console uses the API's /api/ws.
  const screenPopUrl =
    typeof data.wsUrl === "string" && /^wss?:\/\//.test(data.wsUrl) ? data.wsUrl : null;
  if (data.auth === "cognito") {
    const { cognitoDomain, clientId } = data;
    if (typeof cognitoDomain !== "string" || typeof clientId !== "string") {
      throw new Error("config.json: cognito needs cognitoDomain and clientId");
    }
    const domain = cognitoDomain.replace(/\/+$/, "");
    return {
      auth: "cognito",
      apiBase,
      screenPopUrl,
      clientId,
      cognitoDomain: domain.startsWith("https://") ? domain : `https://${domain}`,
    };
  }
  if (data.auth !== undefined && data.auth !== "dev") {
    throw new Error(`config.json: unknown auth ${String(data.auth)}`);
  }
  return { auth: "dev", apiBase, screenPopUrl };
}

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  return parseConfig(await response.json());
}
