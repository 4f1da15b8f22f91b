import { defineControlPlane } from "workflow-control-plane";
import { deployedWorkflows } from "./generated/workflow-bindings";

export {
  BulkJob,
  ControlPlane,
  IndexSegment,
  IndexWriter,
  InstanceJournal,
  InstanceSweeper,
  MirrorSync,
} from "workflow-control-plane";
export default defineControlPlane({ workflows: deployedWorkflows });
