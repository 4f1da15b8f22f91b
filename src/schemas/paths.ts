/** Where the API's resources live, below /client/v4: shared by the routes, the access rules and the id rules. */
export const WORKFLOW = "/accounts/{account_id}/workflows/{workflow_name}";
export const INSTANCES = `${WORKFLOW}/instances` as const;
export const INSTANCE = `${INSTANCES}/{instance_id}` as const;

/**
 * The literal segments right below /instances: each is a route, and an instance of that id
 * could never be read past it, so no instance may take one. Routes there are written with
 * `instancesRoute`, which takes only these words; test/routes/route-words.test.ts reads the
 * OpenAPI document for any other.
 */
export const INSTANCE_ROUTE_WORDS = ["batch", "bulk", "counts", "terminate"] as const;

export type InstanceRouteWord = (typeof INSTANCE_ROUTE_WORDS)[number];

/** A route below /instances that is not an instance: `instancesRoute("batch", "/delete")`. */
export function instancesRoute<Word extends InstanceRouteWord, Rest extends string = "">(
  word: Word,
  rest?: Rest,
): `${typeof INSTANCES}/${Word}${Rest}` {
  return `${INSTANCES}/${word}${rest ?? ""}` as `${typeof INSTANCES}/${Word}${Rest}`;
}

export function isInstanceRouteWord(segment: string): segment is InstanceRouteWord {
  return (INSTANCE_ROUTE_WORDS as readonly string[]).includes(segment);
}
