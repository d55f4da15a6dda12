import { PAPER_COSTS } from "../../core/cost_profile.ts";
import { DEFAULT_RUN_CONFIG, runExperiment } from "../experiment/run_experiment.ts";
import { requestSchedule } from "./_requests.ts";
import { emulateServer } from "./emulate.ts";

const BASE = { load: 30_000, durationNs: 200_000_000, warmupNs: 40_000_000, seed: 3 };

Deno.test("emulateServer runs the rocksdb workload as runExperiment does under cfs", () => {
  const ours = emulateServer({
    ...BASE,
    structure: "dispatcher",
    cpus: 4,
    workers: 2,
    costs: PAPER_COSTS,
  });
  const reference = runExperiment({
    ...DEFAULT_RUN_CONFIG,
    ...BASE,
    policy: "cfs",
    workload: "rocksdb",
    cpus: 4,
    workloadOptions: { workers: 2, cfsWait: "futex", ghostWait: "futex" },
    costs: "paper",
  });
  const a = JSON.stringify([ours.throughputRps, ours.latencyUs, ours.stagesUs]);
  const b = JSON.stringify([
    reference.throughputRps,
    reference.latencyUs,
    reference.stagesUs,
  ]);
  if (a !== b) throw new Error(`emulateServer ${a}\nrunExperiment ${b}`);
});

Deno.test("emulateServer's pool structure is deterministic and serves every request", () => {
  const options = {
    ...BASE,
    structure: "pool" as const,
    cpus: 2,
    workers: 2,
    costs: PAPER_COSTS,
    cdfPoints: 20,
  };
  const first = emulateServer(options);
  const second = emulateServer(options);
  if (JSON.stringify(first) !== JSON.stringify(second)) throw new Error("not deterministic");
  // At 30k req/s of a 35 µs mean on two CPUs, nearly every request finishes.
  const arrivals = requestSchedule(BASE.seed, BASE).arrival;
  const measured = arrivals.filter((t) => t >= BASE.warmupNs).length;
  if (!(first.completed > 0.95 * measured && first.completed <= measured)) {
    throw new Error(`completed ${first.completed} of ${measured}`);
  }
  // Gets take 10 µs of work plus at least one switch; the CDF ends at 1.
  if (!(first.stagesUs.service.get!.p50 >= 10) || first.cdfUs.at(-1)?.fraction !== 1) {
    throw new Error(JSON.stringify(first.stagesUs.service.get));
  }
});

Deno.test("requestSchedule draws what the rocksdb workload draws", () => {
  const schedule = requestSchedule(5, { load: 50_000, durationNs: 100_000_000 });
  const ranges = schedule.type.reduce((n, t) => n + t, 0);
  // 0.5% of about 5000 requests are Ranges of 5 ms; the rest are 10 µs Gets.
  if (!(ranges > 5 && ranges < 50)) throw new Error(`${ranges} ranges`);
  for (let i = 0; i < schedule.type.length; i++) {
    const expected = schedule.type[i] === 1 ? 5_000_000 : 10_000;
    if (schedule.service[i] !== expected) throw new Error(`service ${schedule.service[i]}`);
    if (i > 0 && !(schedule.arrival[i]! > schedule.arrival[i - 1]!)) throw new Error("order");
  }
});

Deno.test("emulateServer runs the fair class it is given", () => {
  const options = {
    ...BASE,
    structure: "pool" as const,
    cpus: 2,
    workers: 2,
    costs: PAPER_COSTS,
  };
  const cfs = emulateServer(options);
  const same = emulateServer({ ...options, fair: "cfs" });
  const eevdf = emulateServer({ ...options, fair: "eevdf" });
  if (JSON.stringify(cfs) !== JSON.stringify(same)) throw new Error("cfs is the default");
  // The load generator shares the CPUs with the workers: the pick matters.
  if (JSON.stringify(cfs.latencyUs) === JSON.stringify(eevdf.latencyUs)) {
    throw new Error("eevdf ran as cfs");
  }
  if (Math.abs(eevdf.completed - cfs.completed) > 0.01 * cfs.completed) {
    throw new Error(`completed ${eevdf.completed} vs ${cfs.completed}`);
  }
});
