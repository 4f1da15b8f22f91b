import { useState } from "preact/hooks";
import { signIn } from "../api";
import { ErrorAlert } from "../components/alert";
import { useAction } from "../hooks";
import type { Session } from "../session";

/** Sign-in with an API token: the admin token `npm run dev` prints, or a scoped one. */
export function SignIn({
  onSignedIn,
  ended,
}: {
  onSignedIn: (session: Session) => void;
  /** Why the previous session ended, when the API stopped accepting its token. */
  ended?: Error | undefined;
}) {
  const [token, setToken] = useState("");
  const { busy, error, run } = useAction();

  function submit(event: Event) {
    event.preventDefault();
    const trimmed = token.trim();
    void run(async () => onSignedIn({ token: trimmed, ...(await signIn(trimmed)) }));
  }

  return (
    <main id="main" class="sign-in">
      <h1>Workflow control plane</h1>
      <form onSubmit={submit} class="card">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-describedby="token-help"
        />
        <p id="token-help" class="muted">
          <code>npm run dev</code> prints the admin token (it is also in <code>.dev.vars</code>); a scoped token from{" "}
          <code>POST /tokens</code> works too. It is kept for this browser tab only.
        </p>
        <ErrorAlert error={error ?? ended} title={error ? "Could not sign in" : "Signed out"} />
        <button type="submit" class="primary" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
