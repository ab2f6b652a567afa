// Sign-in: the bearer token lives in sessionStorage (per tab, gone with it). Locally the dev
// issuer hands one out for a demo account; in AWS the Cognito hosted UI does, by the OAuth2
// authorization-code flow with PKCE, and the API is sent the ID token (it matches people on
// its email claim).
import type { AppConfig } from "./config";
import { navigate } from "./router";

export class TokenStore {
  constructor(private readonly key: string) {}

  get(): string | null {
    return sessionStorage.getItem(this.key);
  }

  set(token: string): void {
    sessionStorage.setItem(this.key, token);
  }

  clear(): void {
    sessionStorage.removeItem(this.key);
  }
}

const VERIFIER = "mspdesk.pkce.verifier";
const STATE = "mspdesk.pkce.state";
const RETURN_TO = "mspdesk.signin.return"; // the page that sent us to sign in

export function base64Url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function randomText(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

type Cognito = Extract<AppConfig, { auth: "cognito" }>;

/** Off to the hosted UI; it comes back to `redirectUri` with ?code=&state=. */
export async function startCognitoSignIn(config: Cognito, redirectUri: string): Promise<void> {
  const verifier = randomText();
  const state = randomText();
  sessionStorage.setItem(VERIFIER, verifier);
  sessionStorage.setItem(STATE, state);
  sessionStorage.setItem(RETURN_TO, window.location.pathname + window.location.search);
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri,
    scope: "openid email profile",
    state,
    code_challenge_method: "S256",
    code_challenge: await pkceChallenge(verifier),
  });
  window.location.assign(`${config.cognitoDomain}/oauth2/authorize?${params.toString()}`);
}

/** The ID token for the code the hosted UI sent back, or null when this is not its return. */
export async function finishCognitoSignIn(
  config: Cognito,
  redirectUri: string,
): Promise<string | null> {
  const params = new URLSearchParams(window.location.search);
  const code = params.get("code");
  const verifier = sessionStorage.getItem(VERIFIER);
  if (!code || !verifier || params.get("state") !== sessionStorage.getItem(STATE)) return null;
  sessionStorage.removeItem(VERIFIER);
  sessionStorage.removeItem(STATE);
  const response = await fetch(`${config.cognitoDomain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }),
  });
  // Back to the page that sent us, through the router so that the app shows it.
  navigate(sessionStorage.getItem(RETURN_TO) ?? window.location.pathname, true);
  sessionStorage.removeItem(RETURN_TO);
  if (!response.ok) throw new Error(`sign-in failed (${response.status})`);
  const tokens = (await response.json()) as { id_token?: string };
  return tokens.id_token ?? null;
}

export function cognitoLogoutUrl(config: Cognito, redirectUri: string): string {
  const params = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri });
  return `${config.cognitoDomain}/logout?${params.toString()}`;
}
