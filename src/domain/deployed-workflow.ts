/**
 * A Workflow of this deployment, as declared in wrangler.toml: a `[[workflows]]` binding, a
 * workflow `exports` entry, or both (one Workflow, sharing its instances).
 */
export type DeployedWorkflow = {
  /** The workflow's name (`name`), which the REST API addresses it by. */
  readonly name: string;
  /** The property of `env` holding the Workflow binding, when it has one. */
  readonly binding?: string;
  /** The property of `ctx.exports` reaching it, when it is declared in `exports`. */
  readonly exportName?: string;
  readonly className: string;
  /** The Worker defining the class: this one, or another through `script_name`. */
  readonly scriptName: string;
  readonly limits?: { readonly steps?: number };
  /** Declared by an export: milliseconds or a duration such as "7 days". */
  readonly defaultRetention?: {
    readonly success_retention?: number | string;
    readonly error_retention?: number | string;
  };
};
