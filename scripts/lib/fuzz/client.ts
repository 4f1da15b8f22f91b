/**
 * The fuzz's HTTP client: every request names the OpenAPI operation it exercises, so the run can
 * tell per operation how often it was answered 2xx and refused, and every answer is checked
 * against the invariants that hold for any input: no 5xx, and a refusal in the API's envelope.
 */

export type Call = {
  /** Path parameters by name; account_id defaults to the served account. */
  params?: Record<string, string>;
  /** Query parameters; an array repeats the name. */
  query?: Record<string, string | string[]>;
  /** A value sent as JSON, or raw text when `raw` is set. */
  body?: unknown;
  raw?: string;
  /** The bearer token; the admin token when left out, none when null. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Sends each path parameter as given (junk such as `%` or `..` unencoded). */
  unencoded?: boolean;
};

export type Answer = { status: number; json: unknown; text: string; headers: Headers };

export type OperationStats = { sent: number; ok: number; refused: number };

export type Client = ReturnType<typeof createClient>;

/** The API's error envelope: `{ success: false, errors: [{ code, message }], messages, result: null }`. */
export function isFailureEnvelope(json: unknown): boolean {
  if (typeof json !== "object" || json === null) return false;
  const { success, errors, result } = json as Record<string, unknown>;
  return (
    success === false &&
    result === null &&
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (error: unknown) =>
        typeof error === "object" &&
        error !== null &&
        typeof (error as Record<string, unknown>).code === "number" &&
        typeof (error as Record<string, unknown>).message === "string",
    )
  );
}

export function createClient({
  origin,
  accountId,
  adminToken,
}: {
  origin: string;
  accountId: string;
  adminToken: string;
}) {
  const histogram = new Map<number, number>();
  const stats = new Map<string, OperationStats>();
  const failures: string[] = [];
  /** Answers 502 with code 10901: the engine failed, and the API said so. */
  const engineFailures: string[] = [];
  let sent = 0;

  function fail(message: string): void {
    failures.push(message);
  }

  function urlOf(operation: string, call: Call): string {
    let path = operation.slice(operation.indexOf(" ") + 1);
    const params = { account_id: accountId, ...call.params };
    for (const [name, value] of Object.entries(params)) {
      path = path.replace(`{${name}}`, call.unencoded ? value : encodeURIComponent(value));
    }
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) query.append(name, item);
    }
    return `${origin}${path}${query.size > 0 ? `?${query}` : ""}`;
  }

  /** Sends `operation` ("METHOD /path/{param}") and checks the answer's invariants. */
  async function send(operation: string, call: Call = {}): Promise<Answer> {
    const method = operation.slice(0, operation.indexOf(" "));
    const url = urlOf(operation, call);
    const token = call.token === undefined ? adminToken : call.token;
    const headers: Record<string, string> = {
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...(call.body !== undefined || call.raw !== undefined ? { "Content-Type": "application/json" } : {}),
      ...call.headers,
    };
    const body = call.raw ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
    sent++;
    const counted = stats.get(operation) ?? { sent: 0, ok: 0, refused: 0 };
    stats.set(operation, counted);
    counted.sent++;
    let answer: Answer;
    try {
      const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      answer = { status: response.status, json: parseJson(text), text, headers: response.headers };
    } catch (error) {
      histogram.set(0, (histogram.get(0) ?? 0) + 1);
      fail(`${method} ${url} -> no answer: ${String(error)}`);
      return { status: 0, json: undefined, text: "", headers: new Headers() };
    }
    histogram.set(answer.status, (histogram.get(answer.status) ?? 0) + 1);
    if (answer.status >= 200 && answer.status < 300) counted.ok++;
    const shown = `${method} ${url}${body === undefined ? "" : ` ${body.slice(0, 200)}`}`;
    // The engine failing (the local one hangs now and then under this load) is the engine's
    // failure, which the API reports as 502 with code 10901: counted and shown, not the API's.
    if (isEngineFailure(answer)) engineFailures.push(`${shown} -> ${answer.text.slice(0, 300)}`);
    else if (answer.status >= 500) fail(`${shown} -> ${answer.status} ${answer.text.slice(0, 300)}`);
    if (answer.status >= 400 && answer.status < 500) {
      counted.refused++;
      if (!isFailureEnvelope(answer.json))
        fail(`${shown} -> ${answer.status} outside the envelope: ${answer.text.slice(0, 300)}`);
    }
    return answer;
  }

  /** Counts an answer that did not come through send (a WebSocket's opening). */
  function record(operation: string, status: number): void {
    sent++;
    const counted = stats.get(operation) ?? { sent: 0, ok: 0, refused: 0 };
    stats.set(operation, counted);
    counted.sent++;
    if (status >= 100 && status < 300) counted.ok++;
    histogram.set(status, (histogram.get(status) ?? 0) + 1);
  }

  return {
    send,
    record,
    fail,
    failures,
    engineFailures,
    histogram,
    stats,
    get sent() {
      return sent;
    },
  };
}

/** A 502 in the envelope with code 10901: the API reporting a failure of the engine. */
function isEngineFailure(answer: { status: number; json: unknown }): boolean {
  if (answer.status !== 502 || !isFailureEnvelope(answer.json)) return false;
  const { errors } = answer.json as { errors: { code: number }[] };
  return errors[0]?.code === 10901;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `result` of a 2xx envelope, or undefined. */
export function resultOf<T>(answer: Answer): T | undefined {
  if (answer.status < 200 || answer.status >= 300) return undefined;
  return (answer.json as { result?: T } | undefined)?.result;
}
