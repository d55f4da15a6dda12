/**
 * Web Worker entry of the bench harness: runs the points it is sent and
 * posts their outcomes back. A point that throws is reported as an error
 * with its message, and the harness stops.
 *
 * @module
 */

import { type PointSpec, runPoint } from "./point.ts";

/** A request to the worker. */
export interface PointRequest {
  /** Index of the point in the run. */
  index: number;
  /** What to run. */
  spec: PointSpec;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<PointRequest>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event) => {
  const { index, spec } = event.data;
  try {
    scope.postMessage({ index, outcome: runPoint(spec) });
  } catch (error) {
    const message = error instanceof Error
      ? `${error.message}\n${error.stack ?? ""}`
      : String(error);
    scope.postMessage({ index, error: message });
  }
};
