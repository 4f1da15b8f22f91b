/**
 * Polls `read` every 250 ms until `done` accepts what it returned (sent events and sleeps take
 * real time locally); throws `failure(last)` after `timeoutMs`.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
  failure: (last: T | undefined) => string = () => `not done after ${timeoutMs} ms`,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(failure(last));
}

/** Polls `read` until it reports `status`. */
export function untilStatus<T extends { status: string }>(
  read: () => Promise<T>,
  status: string,
  timeoutMs = 30_000,
): Promise<T> {
  return until(
    read,
    (value) => value.status === status,
    timeoutMs,
    (last) => `still ${last?.status} after ${timeoutMs} ms, waiting for ${status}`,
  );
}
