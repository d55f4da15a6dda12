import { InputError } from "../../core/errors.ts";
import { type CostProfile, PAPER_COSTS, parseCostProfileJson } from "../../core/cost_profile.ts";
import { costProfileJson, hostCostProfile, type HostMeasurements } from "./measure.ts";
import { summarize } from "./_host.ts";

function measurements(sameMedian: number, idleMedian: number): HostMeasurements {
  const m = { n: 10, median: sameMedian, p99: sameMedian * 2, min: sameMedian, mean: sameMedian };
  return {
    cpus: 2,
    kernel: "test",
    loadAverage: null,
    autogroupNice: 0,
    pinned: true,
    tightTimers: true,
    crossCpuRoundTrip: m,
    sameCpuRoundTrip: m,
    idleWakeup: { ...m, median: idleMedian },
    activity: null,
    notes: [],
  };
}

function throwsInput(text: string, pattern: RegExp): void {
  try {
    parseCostProfileJson(text, "costs.json");
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    if (!pattern.test(error.message)) throw new Error(`Unexpected message: ${error.message}`);
    if (error.message.includes("\n")) throw new Error("The message is not one line");
    return;
  }
  throw new Error(`Accepted ${text}`);
}

Deno.test("hostCostProfile maps half the same-CPU round trip and the idle wake-up", () => {
  const host = hostCostProfile(measurements(4_137, 18_000));
  if (host.profile.name !== "host") throw new Error(host.profile.name);
  if (host.profile.cfsContextSwitch !== 2_069) throw new Error(`${host.profile.cfsContextSwitch}`);
  if (host.profile.ipi !== 18_000 - 2_069) throw new Error(`${host.profile.ipi}`);
  if (host.profile.syscall !== PAPER_COSTS.syscall) throw new Error("unmeasured fields stay");
  if (host.measured.join() !== "cfsContextSwitch,ipi") throw new Error(host.measured.join());
  // An idle wake-up faster than a switch gives no negative IPI.
  if (hostCostProfile(measurements(4_000, 1_000)).profile.ipi !== 0) throw new Error("ipi < 0");
});

Deno.test("parseCostProfileJson reads back what costProfileJson writes", () => {
  const host = hostCostProfile(measurements(3_000, 9_000));
  const parsed: CostProfile = parseCostProfileJson(costProfileJson(host), "out/host_costs.json");
  if (JSON.stringify(parsed) !== JSON.stringify(host.profile)) {
    throw new Error(`${JSON.stringify(parsed)} != ${JSON.stringify(host.profile)}`);
  }
});

Deno.test("parseCostProfileJson names a profile without a name after its file", () => {
  const { name: _name, ...costs } = PAPER_COSTS;
  const parsed = parseCostProfileJson(JSON.stringify(costs), "/tmp/my_machine.json");
  if (parsed.name !== "my_machine") throw new Error(parsed.name);
});

Deno.test("parseCostProfileJson rejects bad profiles with one line", () => {
  const paper = { ...PAPER_COSTS };
  throwsInput("{", /Bad cost profile costs\.json: not JSON/);
  throwsInput("[1]", /expected a JSON object/);
  throwsInput(JSON.stringify({ ...paper, ipii: 3 }), /unknown field "ipii"/);
  const { ipi: _ipi, syscall: _syscall, ...missing } = paper;
  throwsInput(JSON.stringify(missing), /missing field\(s\) syscall, ipi/);
  throwsInput(JSON.stringify({ ...paper, ipi: -1 }), /field "ipi" is -1: expected a whole number/);
  throwsInput(JSON.stringify({ ...paper, ipi: 1.5 }), /field "ipi" is 1\.5/);
  throwsInput(JSON.stringify({ ...paper, ipi: "40" }), /field "ipi" is "40"/);
  throwsInput(JSON.stringify({ ...paper, ipi: null }), /field "ipi" is null/);
  throwsInput(JSON.stringify({ ...paper, name: 7 }), /"name" must be a non-empty string/);
  throwsInput(JSON.stringify({ ...paper, measured: ["nope"] }), /"measured" must be a list/);
});

Deno.test("summarize gives the median, p99, min and mean of samples", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
  const s = summarize(samples);
  if (s.n !== 100 || s.median !== 51 || s.p99 !== 100 || s.min !== 1 || s.mean !== 51) {
    throw new Error(JSON.stringify(s));
  }
  if (summarize([]).n !== 0) throw new Error("empty");
});
