/**
 * Shared by the co-location figures (colocation, rocksdb-paper-colocation):
 * RocksDB's p99 with and without the batch job, and the batch job's share
 * of the worker CPUs, against offered load.
 *
 * @module
 */

import { lineChart } from "../render/charts.ts";
import type { Row } from "./figure.ts";

/** Options of {@link colocationCharts}. */
export interface ColocationChartsOptions {
  /** Worker CPUs the batch share is relative to. */
  workerCpus: number;
  /** Title of the colour legend (the series). */
  colorTitle: string;
  /** Order of the series in the legend. */
  seriesOrder: readonly string[];
}

/**
 * The latency chart (p99 by series, dashed by batch job) and the batch-share
 * chart of rows with `offeredLoad`, `p99Us`, `policy`, `batch` and
 * `batchShare` (null where no batch job ran).
 */
export function colocationCharts(
  rows: readonly Row[],
  options: ColocationChartsOptions,
): ReturnType<typeof lineChart>[] {
  const { workerCpus, colorTitle } = options;
  const seriesOrder = [...options.seriesOrder];
  const latency = lineChart(rows, {
    title: "RocksDB p99 latency",
    x: "offeredLoad",
    y: "p99Us",
    color: "policy",
    dash: "batch",
    dashTitle: "Batch job",
    xTitle: "Offered load (req/s)",
    yTitle: "p99 latency (µs)",
    colorTitle,
    seriesOrder,
    logY: true,
    width: 380,
    height: 260,
  });
  const share = lineChart(rows.filter((r) => r.batchShare !== null), {
    title: `Batch share of the ${workerCpus} worker CPUs`,
    x: "offeredLoad",
    y: "batchShare",
    color: "policy",
    xTitle: "Offered load (req/s)",
    yTitle: `Batch CPU time / (wall time × ${workerCpus} CPUs)`,
    colorTitle,
    seriesOrder,
    yDomain: [0, 1],
    width: 380,
    height: 260,
  });
  return [latency, share];
}
