import { ApiError } from "../api";

/** An error as the API gave it: its message and code, announced to screen readers. */
export function ErrorAlert({ error, title = "The request failed" }: { error: Error | undefined; title?: string }) {
  if (!error) return null;
  const code = error instanceof ApiError && error.code !== null ? ` (code ${error.code})` : "";
  return (
    <div class="alert" role="alert">
      <strong>{title}</strong>: {error.message}
      {code}
    </div>
  );
}
