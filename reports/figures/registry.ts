/**
 * The figures of the bench suite, in report order.
 *
 * @module
 */

import { COLOCATION_FIGURE } from "./colocation.ts";
import { DISRUPTION_FIGURE } from "./disruption.ts";
import type { FigureDefinition } from "./figure.ts";
import { LATENCY_CDF_FIGURE } from "./latency_cdf.ts";
import { MICROBENCH_FIGURE } from "./microbench.ts";
import { ROCKSDB_CENTRALIZED_FIGURE } from "./rocksdb_centralized.ts";
import { ROCKSDB_PAPER_FIGURE } from "./rocksdb_paper.ts";
import { ROCKSDB_PAPER_COLOCATION_FIGURE } from "./rocksdb_paper_colocation.ts";
import { ROCKSDB_SHINJUKU_FIGURE } from "./rocksdb_shinjuku.ts";
import { SCALABILITY_FIGURE } from "./scalability.ts";
import { SEARCH_FIGURE } from "./search.ts";
import { SNAP_FIGURE } from "./snap.ts";

/** Every figure, in report order. */
export const FIGURES: readonly FigureDefinition[] = [
  MICROBENCH_FIGURE,
  SCALABILITY_FIGURE,
  ROCKSDB_SHINJUKU_FIGURE,
  ROCKSDB_CENTRALIZED_FIGURE,
  COLOCATION_FIGURE,
  ROCKSDB_PAPER_FIGURE,
  ROCKSDB_PAPER_COLOCATION_FIGURE,
  SEARCH_FIGURE,
  SNAP_FIGURE,
  LATENCY_CDF_FIGURE,
  DISRUPTION_FIGURE,
];
