/**
 * A Durable Object stub whose every call first awaits `before` (an eviction, a fault to
 * install), then goes to the object as it would have.
 */
export function beforeEachCall<Stub extends object>(stub: Stub, before: () => Promise<unknown>): Stub {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function" || property === "then") return value;
      return async (...args: unknown[]) => {
        await before();
        // Called through the stub: an RPC method has no `apply` of its own.
        return (target as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>)[property]?.(...args);
      };
    },
  });
}
