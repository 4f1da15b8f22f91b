/** An error as Cloudflare reports one. */
export type ErrorInfo = { name: string; message: string };

/** Reduces anything thrown to Cloudflare's `{ name, message }`. */
export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
