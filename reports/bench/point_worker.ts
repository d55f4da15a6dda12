/**
 * Web Worker entry of the bench harness: runs the points it is sent and
 * posts their outcomes back, loading first the policy files and external
 * agents a point names (`bench --policy`). A point that throws is reported
 * as an error with its message, and the harness stops.
 *
 * @module
 */

import { loadPolicySources } from "../../policies/sources.ts";
import { pointPolicies, type PointSpec, runPoint } from "./point.ts";

/** A request to the worker. */
export interface PointRequest {
  /** Index of the point in the run. */
  index: number;
  /** What to run. */
  spec: PointSpec;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<PointRequest>) => void | Promise<void>) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  const { index, spec } = event.data;
  try {
    await loadPolicySources(pointPolicies(spec));
    scope.postMessage({ index, outcome: runPoint(spec) });
  } catch (error) {
    const message = error instanceof Error
      ? `${error.message}\n${error.stack ?? ""}`
      : String(error);
    scope.postMessage({ index, error: message });
  }
};
