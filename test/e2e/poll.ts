/** Polls `read` until it reports `status` (sent events and sleeps take real time locally). */
export async function untilStatus<T extends { status: string }>(
  read: () => Promise<T>,
  status: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`still ${last?.status} after ${timeoutMs} ms, waiting for ${status}`);
}
