/**
 * For Workers that call the control plane over a service binding:
 *
 *   import type { ControlPlane } from "workflow-control-plane/rpc";
 *   import { ControlPlaneError, ERRORS } from "workflow-control-plane/rpc";
 *   interface Env { CONTROL_PLANE: Service<ControlPlane> }
 */
export { ERRORS, type ErrorKind } from "../lib/errors";
export type { CallerProps, ControlPlane } from "./control-plane";
export { ControlPlaneError } from "./errors";
