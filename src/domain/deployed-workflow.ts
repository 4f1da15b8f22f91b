/** A `[[workflows]]` binding of this deployment, as declared in wrangler.toml. */
export type DeployedWorkflow = {
  /** The workflow's name (`name`), which the REST API addresses it by. */
  readonly name: string;
  /** The property of `env` holding the Workflow binding. */
  readonly binding: string;
  readonly className: string;
  /** The Worker defining the class: this one, or another through `script_name`. */
  readonly scriptName: string;
  readonly limits?: { readonly steps?: number };
};
