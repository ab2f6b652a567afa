// Local mode's sign-in: pick a demo account, get a token from the dev issuer.
import { useEffect, useState } from "react";
import { get, request } from "./api";
import type { Account } from "./types";

interface Props {
  title: string;
  accept: (account: Account) => boolean;
  onToken: (token: string) => void;
}

export function DevSignIn({ title, accept, onToken }: Props) {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    get<Account[]>("/api/dev/accounts")
      .then((all) => setAccounts(all.filter(accept)))
      .catch((e: unknown) => setError(String(e)));
  }, [accept]);

  async function signIn(email: string): Promise<void> {
    try {
      const out = await request<{ access_token: string }>("POST", "/api/dev/token", {
        body: { email },
      });
      onToken(out.access_token);
    } catch (e) {
      setError(String(e));
    }
  }

  return (
    <main className="signin">
      <h1>{title}</h1>
      <p>Local demo: choose an account to sign in as.</p>
      {error && <p role="alert">{error}</p>}
      {accounts === null ? (
        <p>Loading accounts…</p>
      ) : (
        <ul aria-label="Demo accounts" className="accounts">
          {accounts.map((a) => (
            <li key={a.email}>
              <button type="button" onClick={() => void signIn(a.email)}>
                <strong>{a.name}</strong> <span>{a.email}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
