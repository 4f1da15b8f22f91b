/**
 * A failure of a ControlPlane RPC call: the same code and message as the REST envelope's error.
 * Over RPC only an error's message crosses intact, so the code travels in it, in wrangler's
 * format ("Workflow 'x' not found [code: 10200]"); `ControlPlaneError.from` reads it back.
 */
export class ControlPlaneError extends Error {
  override readonly name = "ControlPlaneError";

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }

  /** The error a ControlPlane call threw, read back; undefined for anything else. */
  static from(error: unknown): ControlPlaneError | undefined {
    const message = error instanceof Error ? error.message : String(error);
    const match = /^(.*) \[code: (\d+)\]$/s.exec(message);
    return match?.[1] && match[2] ? new ControlPlaneError(Number(match[2]), match[1]) : undefined;
  }

  /** The message to throw across RPC. */
  static encode(code: number, message: string): Error {
    const error = new Error(`${message} [code: ${code}]`);
    error.name = "ControlPlaneError";
    return error;
  }
}
