/**
 * The benchmark's baseline: the bare binding call that `POST …/instances` wraps, in the same
 * Worker and workerd. Served only while `BENCH_BARE_ROUTE` is "true" (`npm run bench` sets it).
 */
export const BARE_CREATE_PATH = "/__bench/bare-create";

export async function bareCreate(request: Request, env: Env): Promise<Response> {
  const params: unknown = await request.json();
  const instance = await env.HELLO_WORLD.create({ params: params as { name: string } });
  return Response.json({ id: instance.id });
}
