import type { IndexAddress } from "../../index/config";
import { acrossSegments, type IndexAccess } from "../../index/workflow-index";

/**
 * How much a workflow's index holds: its live segments, their instances and bytes (each
 * segment is a Durable Object of up to 10 GB), and how many instances a segment takes before
 * the next one starts. The index grows by segments, so nothing is refused for its size.
 */
export type Capacity = { segments: number; instances: number; bytes: number; segment_size: number };

export async function capacityOf(index: IndexAccess, address: IndexAddress): Promise<Capacity> {
  const stats = await acrossSegments(index, address, (segment) => segment.stats());
  return {
    segments: stats.length,
    instances: stats.reduce((total, segment) => total + segment.instances, 0),
    bytes: stats.reduce((total, segment) => total + segment.bytes, 0),
    segment_size: index.segmentSize,
  };
}
