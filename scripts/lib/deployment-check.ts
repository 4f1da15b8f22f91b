/**
 * What a deployment's wrangler.toml must hold for the control plane to run, and what it must hold
 * to be deployed. The package's own wrangler.toml is the reference: every Durable Object,
 * migration and rate limit it declares, a team's config declares too, so an upgrade that adds one
 * is named by `workflow-control-plane check` rather than found in production.
 *
 * Pure: the caller reads the configs, asks wrangler for the secrets and measures the bundle.
 */
import { parse } from "smol-toml";

type DurableObjectBinding = { name: string; class_name: string; script_name?: string };
type RateLimit = { name: string; namespace_id?: string | number; simple?: { limit: number; period: number } };
type Service = { binding: string; service: string; entrypoint?: string };
type D1Database = { binding: string; database_name?: string; database_id?: string; migrations_dir?: string };

export type WranglerConfig = {
  name?: string;
  account_id?: string;
  vars?: Record<string, unknown>;
  assets?: { directory?: string };
  d1_databases?: D1Database[];
  durable_objects?: { bindings?: DurableObjectBinding[] };
  migrations?: { tag: string; new_sqlite_classes?: string[] }[];
  services?: Service[];
  ratelimits?: RateLimit[];
};

export const parseConfig = (text: string): WranglerConfig => parse(text) as WranglerConfig;

/** One thing wrong, and how to put it right. */
export type Finding = { readonly problem: string; readonly fix: string };

/** Cloudflare's script size limits, gzip-compressed (docs: Workers limits). */
export const PLAN_SIZE_LIMITS = { free: 3 * 1024 * 1024, paid: 10 * 1024 * 1024 } as const;
export type Plan = keyof typeof PLAN_SIZE_LIMITS;

export const isPlan = (value: string | undefined): value is Plan =>
  value !== undefined && Object.hasOwn(PLAN_SIZE_LIMITS, value);

const namespaceOf = (limit: RateLimit): string => String(limit.namespace_id ?? "");
const ZERO_ACCOUNT = /^0+$/;
const SELF_ENTRYPOINT = "ControlPlane";

/**
 * What the control plane needs of any config it runs under (`dev`, `check`, `deploy`): the
 * reference's Durable Objects and their SQLite migrations, the D1 binding, the rate limits, the
 * self-binding, the vars and the dashboard's assets.
 */
export function checkContract(config: WranglerConfig, reference: WranglerConfig): Finding[] {
  const findings: Finding[] = [];
  const objects = new Map((config.durable_objects?.bindings ?? []).map((binding) => [binding.name, binding]));
  for (const wanted of reference.durable_objects?.bindings ?? []) {
    const found = objects.get(wanted.name);
    if (found?.class_name === wanted.class_name && found.script_name === undefined) continue;
    findings.push({
      problem: `Durable Object binding ${wanted.name} is ${found ? `bound to ${found.class_name}` : "missing"}`,
      fix: `add [[durable_objects.bindings]] name = "${wanted.name}", class_name = "${wanted.class_name}"`,
    });
  }
  const migrated = new Set((config.migrations ?? []).flatMap((migration) => migration.new_sqlite_classes ?? []));
  const unmigrated = (reference.migrations ?? [])
    .flatMap((migration) => migration.new_sqlite_classes ?? [])
    .filter((className) => !migrated.has(className));
  if (unmigrated.length > 0) {
    findings.push({
      problem: `no migration creates the SQLite class${unmigrated.length > 1 ? "es" : ""} ${unmigrated.join(", ")}`,
      fix: `add a [[migrations]] with a new tag and new_sqlite_classes = ${JSON.stringify(unmigrated)}`,
    });
  }
  if (!config.d1_databases?.some((database) => database.binding === "DB")) {
    findings.push({
      problem: "no D1 database is bound as DB",
      fix: 'add [[d1_databases]] binding = "DB", migrations_dir = "node_modules/workflow-control-plane/migrations"',
    });
  }
  const limits = new Set((config.ratelimits ?? []).map((limit) => limit.name));
  for (const wanted of reference.ratelimits ?? []) {
    if (limits.has(wanted.name)) continue;
    findings.push({
      problem: `rate limit ${wanted.name} is missing`,
      fix: `add [[ratelimits]] name = "${wanted.name}", namespace_id = "<an id of your own>", simple = ${JSON.stringify(wanted.simple ?? {})}`,
    });
  }
  const selfBinding = config.services?.find((service) => service.entrypoint === SELF_ENTRYPOINT);
  if (selfBinding === undefined) {
    findings.push({
      problem: `no service binding reaches this Worker's ${SELF_ENTRYPOINT} entrypoint (tracked workflows and the sweeper use it)`,
      fix: `add [[services]] binding = "CONTROL_PLANE", service = "${config.name}", entrypoint = "${SELF_ENTRYPOINT}"`,
    });
  } else if (selfBinding.service !== config.name) {
    findings.push({
      problem: `the ${SELF_ENTRYPOINT} service binding ${selfBinding.binding} names Worker "${selfBinding.service}", not this one ("${config.name}")`,
      fix: `set service = "${config.name}" in that [[services]] binding`,
    });
  }
  if (typeof config.vars?.ACCOUNT_ID !== "string") {
    findings.push({ problem: "[vars] has no ACCOUNT_ID", fix: 'add ACCOUNT_ID = "<your account id>" under [vars]' });
  }
  if (config.assets?.directory === undefined) {
    findings.push({
      problem: "no [assets] directory: the dashboard will not be served",
      fix: 'add [assets] directory = "node_modules/workflow-control-plane/dashboard/dist"',
    });
  }
  return findings;
}

/** What deploying needs besides the contract: real ids, the secret, namespaces of its own, a bundle that fits. */
export type DeployFacts = {
  /** The Worker's secret names, or undefined when wrangler could not tell (offline, not logged in). */
  readonly secrets: readonly string[] | undefined;
  /** The bundle's gzip-compressed size in bytes, as Cloudflare counts it against the plan. */
  readonly bundleBytes: number;
  readonly plan: Plan;
};

export function checkDeploy(config: WranglerConfig, reference: WranglerConfig, facts: DeployFacts): Finding[] {
  const findings = checkContract(config, reference);
  for (const database of config.d1_databases ?? []) {
    if (database.database_id) continue;
    const name = database.database_name ?? config.name ?? "control-plane";
    findings.push({
      problem: `D1 database ${database.binding} has no database_id`,
      fix: `run \`npx wrangler d1 create ${name}\` and paste the database_id it prints into [[d1_databases]]`,
    });
  }
  const accountIds = [config.account_id, config.vars?.ACCOUNT_ID].filter((id) => typeof id === "string");
  if (accountIds.some((id) => ZERO_ACCOUNT.test(id))) {
    findings.push({
      problem: "the account id is the all-zero placeholder",
      fix: "set ACCOUNT_ID under [vars] (and account_id, if you set it) to your account's id: `npx wrangler whoami` shows it",
    });
  }
  if (facts.secrets !== undefined && !facts.secrets.includes("ADMIN_TOKEN")) {
    findings.push({
      problem: `Worker "${config.name}" has no ADMIN_TOKEN secret`,
      fix: "run `npx wrangler secret put ADMIN_TOKEN` (a long random string; it signs in to the API and dashboard)",
    });
  }
  // The package's own ids are placeholders, never chosen for an account.
  const placeholders = new Set((reference.ratelimits ?? []).map(namespaceOf));
  const namespaces = (config.ratelimits ?? []).map(namespaceOf);
  for (const limit of config.ratelimits ?? []) {
    const id = namespaceOf(limit);
    const shared = namespaces.filter((other) => other === id).length > 1;
    if (!placeholders.has(id) && !shared && /^[1-9]\d*$/.test(id)) continue;
    findings.push({
      problem: `rate limit ${limit.name} uses namespace_id "${id}", ${shared ? "shared with another rate limit here" : "a placeholder not chosen for this account"}`,
      fix: "give each rate limit a positive integer namespace_id of its own that no other Worker on the account uses",
    });
  }
  const limit = PLAN_SIZE_LIMITS[facts.plan];
  if (facts.bundleBytes > limit) {
    findings.push({
      problem: `the bundle is ${megabytes(facts.bundleBytes)} gzipped, over the Workers ${facts.plan === "free" ? "Free" : "Paid"} plan's ${megabytes(limit)}`,
      fix:
        facts.plan === "free"
          ? "deploy on Workers Paid (the control plane needs it: see the README), or trim what the entry module bundles"
          : "trim what the entry module bundles (Workflows of your own belong in their own Workers, bound by script_name)",
    });
  }
  return findings;
}

export const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/**
 * Classes the generated types could not find among the entry module's named exports: wrangler
 * types their bindings bare, `DurableObjectNamespace` or `Service` followed by a comment naming
 * the class.
 */
export function unexportedClasses(generatedTypes: string, workerName: string, reference: WranglerConfig): Finding[] {
  const packageClasses = new Set([
    SELF_ENTRYPOINT,
    ...(reference.durable_objects?.bindings ?? []).map((binding) => binding.class_name),
  ]);
  const untyped =
    /^\s*(\w+): (?:DurableObjectNamespace \/\* (\w+) \*\/|Service \/\* entrypoint (\w+) from ([\w-]+) \*\/)/gm;
  return [...generatedTypes.matchAll(untyped)].flatMap(([, binding, objectClass, entrypoint, worker]) => {
    // An entrypoint of another Worker is typed from that Worker, not from this entry module.
    const className = objectClass ?? (worker === workerName ? entrypoint : undefined);
    if (className === undefined) return [];
    const from = packageClasses.has(className) ? ' from "workflow-control-plane"' : "";
    return [
      {
        problem: `the entry module does not export ${className} (binding ${binding} is untyped, and the Worker will not start)`,
        fix: `export ${className} from the entry module${from ? ` (\`export { …, ${className} }${from}\`)` : ""}, then run \`workflow-control-plane typegen\``,
      },
    ];
  });
}

/** The report `check`, `deploy` and `deploy --dry-run` print. */
export function renderFindings(
  findings: readonly Finding[],
  title = "Deployment check",
  when = "before deploying",
): string {
  if (findings.length === 0) return `${title}: nothing missing.`;
  return [
    `${title}: ${findings.length} thing${findings.length > 1 ? "s" : ""} to fix${when ? ` ${when}` : ""}:`,
    ...findings.map((finding, index) => `  ${index + 1}. ${finding.problem}\n     fix: ${finding.fix}`),
  ].join("\n");
}
