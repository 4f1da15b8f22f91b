// Types of drizzle-kit's generated bundle beside this file (drizzle-kit writes only the .js).
declare const bundle: {
  journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
  migrations: Record<string, string>;
};
export default bundle;
