/**
 * The sources the figures' claims cite, each with what it reports. "Paper"
 * is Humphries et al., "ghOSt: Fast & Flexible User-Space Delegation of
 * Linux Scheduling", SOSP 2021 (pages of the proceedings); "scripts" are
 * google/ghost-userspace experiments/scripts; "runs" are the authors' runs
 * of those scripts, reported outside the paper.
 *
 * @module
 */

import type { ClaimSource } from "./figure.ts";

/** The paper's name in citations. */
const PAPER = "SOSP'21";

/** Table 3 (§4.1, p.596): one operation's cost. */
export function paperTable3(line: number, operation: string, ns: number): ClaimSource {
  return {
    kind: "paper",
    citation: `${PAPER} §4.1, Table 3 line ${line}, p.596`,
    says: `${operation}: ${ns} ns`,
  };
}

/** Fig. 5 (§4.1, p.596) and the introduction (p.589): one agent's peak rate. */
export const PAPER_FIG5_PEAK: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.1, Fig. 5, p.596; §1, p.589`,
  says: "a single ghOSt agent schedules over 2 million threads per second: peak about 2.39M " +
    "(Skylake, 54 CPUs) and 2.52M (Haswell, 33 CPUs), read off the plot",
};

/** Fig. 5 (§4.1, p.596), annotation 2: the SMT dip. */
export const PAPER_FIG5_DIP: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.1, Fig. 5 (annotation 2), p.596`,
  says: "the rate drops where the global agent first shares its physical core with a ghOSt " +
    "thread: about 2.22M to 2.03M at 27 to 28 CPUs (Skylake), 2.35M to 2.02M at 17 to 18 (Haswell)",
};

/** Fig. 5 (§4.1, p.596), annotation 3: the remote-socket decline. */
export const PAPER_FIG5_DECLINE: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.1, Fig. 5 (annotation 3), p.596`,
  says: "the rate declines once the agent schedules CPUs of the remote socket: about 2.39M to " +
    "1.52M at 110 CPUs (Skylake, -36%), 2.52M to 1.75M at 70 (Haswell, -31%)",
};

/** The authors' runs of experiments/scripts/shinjuku.py (google/ghost-userspace issue #9). */
export const RUNS_SHINJUKU: ClaimSource = {
  kind: "reference-runs",
  citation: "google/ghost-userspace issue #9 (J. Humphries, 2022-01-27): runs of " +
    "experiments/scripts/shinjuku.py",
  says: "saturation (p99 >= 1 ms): CFS about 50k vs ghOSt-Shinjuku about 130k req/s (2.6x) on " +
    "the first author's machine; 15k vs 55k (3.7x) on a user's",
};

/** The same thread: what a 1 ms p99 means. */
export const RUNS_INTERFERENCE: ClaimSource = {
  kind: "reference-runs",
  citation: "google/ghost-userspace issue #9 (J. Humphries, 2022-01-27)",
  says: "a p99 of 1 ms or more is a clear sign that Range requests interfere with Gets; " +
    "ghOSt's microsecond-scale preemptive Shinjuku avoids it (no Get ratio is given)",
};

/** Fig. 6a (§4.2, pp.596–597): RocksDB p99 below saturation. */
export const PAPER_FIG6A_FLAT: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6a, p.597`,
  says: "below saturation every system's p99 is flat at about 50 us or less (up to about " +
    "180k req/s there)",
};

/** Fig. 6a (§4.2, p.597): the systems' tails where CFS saturates. */
export const PAPER_FIG6A_AT_CFS: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6a, p.597`,
  says: "where CFS-Shinjuku's p99 passes 1 ms (about 200–215k req/s), ghOSt-Shinjuku's p99 " +
    "is still about 50–100 us (plot): 10x or more lower",
};

/** Fig. 6a and §4.2's text: no preemption, head-of-line blocking. */
export const PAPER_FIG6A_PREEMPTION: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6a, pp.596–597`,
  says: "CFS-Shinjuku, without preemption, saturates about 30% earlier than ghOSt-Shinjuku: " +
    "short requests wait behind long ones",
};

/** The centralized-queuing script's sweeps: where they end, not a result. */
export const SCRIPTS_CENTRALIZED: ClaimSource = {
  kind: "reference-scripts",
  citation: "google/ghost-userspace experiments/scripts/centralized_queuing.py",
  says: "sweeps end at 480k (CFS) and 460k (ghOSt) req/s: where the authors stopped " +
    "sweeping, not a measured saturation; no result is published",
};

/** Fig. 6b–c (§4.2, p.597): co-location with a batch job. */
export const PAPER_FIG6BC_SHARE: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6c, p.597`,
  says: "ghOSt's batch CPU share falls as load rises (about 0.92 of the CPUs at 10k, 0.6 at " +
    "100k, 0.3 at 200k, 0 by about 275k)",
};

/** Fig. 6b (§4.2, p.597): RocksDB's tail with the batch job. */
export const PAPER_FIG6B_TAIL: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6b, p.597`,
  says: "with the batch job, ghOSt's RocksDB p99 curve is the same as without it (Fig. 6a)",
};

/** Figs. 6a and 6b (§4.2, p.597): CFS's RocksDB tail with and without the batch job. */
export const PAPER_FIG6CFS_TAIL: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Figs. 6a-b, p.597`,
  says: "CFS's p99 curve with the batch job (nice -20 vs +19) rises where it does without it " +
    "(plot: from about 180k vs 190k req/s)",
};

/** Fig. 6c and §4.2's text: ghOSt's batch share against CFS with nice values. */
export const PAPER_FIG6C_CFS: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6c, p.597`,
  says: "ghOSt's batch share is similar to CFS's with RocksDB at nice -20 and the batch job " +
    "at +19 (plot: 0.6 vs 0.65 at 100k, 0.3 vs 0.4 at 200k; about 0 vs 0.2 near 270k)",
};

/** Fig. 8 (§4.4, pp.598–600): Search. */
export const PAPER_FIG8: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.4, Fig. 8, pp.598–600`,
  says: "the ghOSt Search policy lowers p99 by about 40–45% against CFS for query types A " +
    "and B, with NUMA and CCX placement",
};

/** §3.4 (p.595): in-place upgrade. */
export const PAPER_UPGRADE: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §3.4, p.595`,
  says: "a new agent takes over a live enclave (waits for the old one, then discovers its " +
    "threads); no blackout is measured",
};

/** §3.4 (p.595): crash and watchdog. */
export const PAPER_WATCHDOG: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §3.4, p.595`,
  says: "when an agent fails, the enclave is destroyed and its threads go on under CFS; a " +
    "watchdog destroys an enclave whose agent left a runnable thread unscheduled for a set " +
    "number of ms",
};

/** Fig. 7 (§4.3, pp.597–598): Snap's 64 B messages through p99.9. */
export const PAPER_FIG7_64B_BODY: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.3, Fig. 7, pp.597–598`,
  says: "64 B: ghOSt similar to MicroQuanta or up to 10% better through p99.9 (plot, quiet: " +
    "90/180/300/430 vs 90/180/300/410 us at p50/p90/p99/p99.9)",
};

/** Fig. 7 (§4.3, p.598): Snap's 64 B messages in the extreme tail. */
export const PAPER_FIG7_64B_TAIL: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.3, Fig. 7, p.598`,
  says: "64 B: ghOSt up to 1.7x worse at p99.99 and beyond, cheap messages exposing the " +
    "scheduling cost (plot, loaded p99.999: 26.3 vs 15.1 ms)",
};

/** Fig. 7 (§4.3, p.598): Snap's 64 kB messages through p99. */
export const PAPER_FIG7_64KB_BODY: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.3, Fig. 7, p.598`,
  says: "64 kB: ghOSt within 15% of MicroQuanta through p99 (plot, quiet: 150/270/430 vs " +
    "150/270/440 us)",
};

/** Fig. 7 (§4.3, p.598): Snap's 64 kB messages beyond p99.9. */
export const PAPER_FIG7_64KB_TAIL: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.3, Fig. 7, p.598`,
  says: "64 kB: ghOSt 5-30% lower than MicroQuanta from p99.9 on: it moves an engine off a " +
    "CPU a server thread takes, MicroQuanta waits out its blackout (plot, quiet p99.99: 1350 " +
    "vs 1770 us)",
};

/** Fig. 6a and §4.2's text (p.597): ghOSt-Shinjuku against the original Shinjuku. */
export const PAPER_FIG6A_WITHIN: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6a, p.597`,
  says: "ghOSt-Shinjuku's saturation is within 5% of Shinjuku's (stated; plot: about 310k vs " +
    "325k req/s)",
};

/** Fig. 6a and §4.2's text (p.597): tails at high load. */
export const PAPER_FIG6A_TAILS: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6a, p.597`,
  says: "ghOSt-Shinjuku has slightly higher tails than Shinjuku at high load (stated: a thread " +
    "schedule per request against a descriptor passed; plot: about 120 us for Shinjuku at 300k, " +
    "about 600 us for ghOSt near 305k)",
};

/** Fig. 6c (§4.2, p.597): the original Shinjuku and the batch job. */
export const PAPER_FIG6C_SHINJUKU: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6c, p.597`,
  says: "the original Shinjuku gives the batch job no CPU at any load: its spinning workers " +
    "and dispatcher hold their CPUs",
};

/** Fig. 6b (§4.2, p.597): RocksDB's tail beside the batch job, CFS against ghOSt. */
export const PAPER_FIG6B_CFS: ClaimSource = {
  kind: "paper",
  citation: `${PAPER} §4.2, Fig. 6b, p.597`,
  says: "with the batch job, CFS's RocksDB p99 explodes from about 180k req/s, ghOSt's " +
    "saturates near 305k (plot)",
};
