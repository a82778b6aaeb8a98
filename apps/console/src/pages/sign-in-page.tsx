import { type FormEvent, useState } from "react";
import { signIn } from "../api/client.js";
import { errorText } from "../components/use-api.js";

export function SignInPage() {
  const [mode, setMode] = useState<"in" | "register">("in");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email, password, mode === "register");
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };
  const registering = mode === "register";
  return (
    <main className="center">
      <form className="card auth" onSubmit={(e) => void submit(e)} aria-labelledby="auth-title">
        <div className="brand big">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{" "}
          Conclave
        </div>
        <h1 id="auth-title">{registering ? "Create your account" : "Sign in"}</h1>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={registering ? "new-password" : "current-password"}
            required
            minLength={registering ? 12 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "…" : registering ? "Create account" : "Sign in"}
        </button>
        <p className="muted small">
          {registering ? "Have an account?" : "New here?"}{" "}
          <button type="button" className="linkish" onClick={() => setMode(registering ? "in" : "register")}>
            {registering ? "Sign in" : "Create an account"}
          </button>
        </p>
      </form>
    </main>
  );
}
