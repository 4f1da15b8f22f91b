import type { Jurisdiction } from "../domain/jurisdiction";
import type { Retention } from "./schema";

/**
 * What a segment's triggers need of its workflow and account, read from D1 by each writer and
 * carried with each write, so a trigger sees the settings of the moment it fires.
 */
export type SegmentConfig = {
  workflowId: string;
  versionId: string;
  versionRetention: Retention | null;
  accountRetention: Retention | null;
  labelPaths: Record<string, string> | null;
  metricLabels: string[] | null;
};

/** A workflow's index as the Worker addresses it: where its segments live, and where each starts. */
export type IndexAddress = {
  workflowId: string;
  jurisdiction: Jurisdiction | null;
  /** Segment starts, oldest first; segment 0 starts at 0. Dropped segments are left out. */
  segments: SegmentRef[];
};

export type SegmentRef = { seq: number; startsOn: number };
