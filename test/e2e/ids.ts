/** An id (or name) no earlier run used: `prefix`, the time, and a little randomness. */
export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
