// wrangler bundles `.sql` files as text (the `[[rules]]` in wrangler.toml), so the segment's
// drizzle-kit `migrations.js` can import its migrations.
declare module "*.sql" {
  const text: string;
  export default text;
}
