import { InputError } from "../../core/errors.ts";
import { parseCostProfileJson } from "../../core/cost_profile.ts";
import { type CalibrateIo, parseCalibrateOptions, runCalibrate } from "./calibrate_command.ts";
import { hostFairClass } from "./_host.ts";
import { FIGURE_NAME } from "./compare.ts";

// The pipeline at a reduced scale: it must run and write every file. The
// numbers depend on the machine and what else runs on it, so no test checks
// how close the emulation comes to the host.

const SMALL = { measure: { roundTrips: 300, wakeups: 30, gapUs: 50 } };

function quietIo(): CalibrateIo & { text: () => string } {
  let text = "";
  return { out: (t) => text += t, err: () => {}, errIsTerminal: false, text: () => text };
}

function throwsInput(args: string[], pattern: RegExp): void {
  try {
    parseCalibrateOptions(args);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    if (!pattern.test(error.message)) throw new Error(`Unexpected message: ${error.message}`);
    return;
  }
  throw new Error(`Accepted ${args.join(" ")}`);
}

Deno.test("calibrate --compare writes the profile, the figure, the CSV and the claim", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/calibrate`;
  try {
    const io = quietIo();
    const args = ["--out", out, "--compare", "--loads", "0.1,0.3", "--duration", "200ms"];
    const code = await runCalibrate(args, io, SMALL);
    if (code !== 0) throw new Error(`exit ${code}`);
    const profile = parseCostProfileJson(
      Deno.readTextFileSync(`${out}/host_costs.json`),
      `${out}/host_costs.json`,
    );
    if (profile.name !== "host" || !(profile.cfsContextSwitch > 0)) {
      throw new Error(JSON.stringify(profile));
    }
    const csv = Deno.readTextFileSync(`${out}/${FIGURE_NAME}.csv`).trim().split("\n");
    const header = csv[0]!.split(",");
    const columns = [
      "loadFraction",
      "fairClass",
      "hostP99Us",
      "emuP99Us",
      "p99ErrorPct",
      "flagged",
    ];
    for (const column of [...columns, "stealPct"]) {
      if (!header.includes(column)) throw new Error(`CSV lacks ${column}: ${csv[0]}`);
    }
    if (csv.length !== 3) throw new Error(`expected 2 loads, got ${csv.length - 1} rows`);
    const summary = JSON.parse(Deno.readTextFileSync(`${out}/summary.json`));
    if (!/70% load/.test(summary.comparison.claim)) throw new Error(summary.comparison.claim);
    // The emulation runs the host's fair class, and says so.
    const fair = hostFairClass().fair;
    if (summary.comparison.fairClass !== fair || !csv[1]!.includes(`,${fair},`)) {
      throw new Error(`expected ${fair}: ${summary.comparison.fairClass}, ${csv[1]}`);
    }
    if (!summary.comparison.notes.some((n: string) => n.includes(`fair class is ${fair}`))) {
      throw new Error(summary.comparison.notes.join(" "));
    }
    if (summary.comparison.points.length !== 2 || summary.measured.length === 0) {
      throw new Error("summary incomplete");
    }
    const spec = JSON.parse(Deno.readTextFileSync(`${out}/${FIGURE_NAME}.vl.json`));
    if (!("hconcat" in spec)) throw new Error("expected two panels");
    const png = Deno.readFileSync(`${out}/${FIGURE_NAME}.png`);
    if (png[1] !== 0x50 || png[2] !== 0x4e) throw new Error("not a PNG");
    const html = Deno.readTextFileSync(`${out}/index.html`);
    if (!html.includes("<svg") || !html.includes("70% load")) throw new Error("index.html");
    for (const name of ["measurements.json", `${FIGURE_NAME}.stages.csv`, `${FIGURE_NAME}.svg`]) {
      Deno.statSync(`${out}/${name}`);
    }
    if (!io.text().includes("--costs")) throw new Error(io.text());
    // No temporary directory is left beside the output.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    if (left.join() !== "calibrate") throw new Error(`left behind: ${left.join()}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("calibrate replaces its own output whole and refuses a directory of other files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/calibrate`;
    Deno.mkdirSync(out);
    Deno.writeTextFileSync(`${out}/host_costs.json`, "{}");
    Deno.writeTextFileSync(`${out}/stale.csv`, "old");
    if (await runCalibrate(["--out", out], quietIo(), SMALL) !== 0) throw new Error("exit");
    const names = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    if (names.join() !== "host_costs.json,measurements.json") throw new Error(names.join());

    const other = `${dir}/report`;
    Deno.mkdirSync(other);
    Deno.writeTextFileSync(`${other}/index.html`, "bench");
    let message = "";
    try {
      await runCalibrate(["--out", other], quietIo(), SMALL);
    } catch (error) {
      message = error instanceof InputError ? error.message : String(error);
    }
    if (!message.includes("holds other files")) throw new Error(message);
    if (Deno.readTextFileSync(`${other}/index.html`) !== "bench") throw new Error("touched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("calibrate rejects bad options with one line", async () => {
  throwsInput(["--loads", "0"], /Bad --loads "0"/);
  throwsInput(["--loads", "0.1,,0.5"], /Bad --loads/);
  throwsInput(["--loads", "3"], /fractions of capacity/);
  throwsInput(["--duration", "1ms"], /Bad --duration 1ms/);
  throwsInput(["--duration", "2"], /Malformed --duration "2"/);
  throwsInput(["--seed", "-1"], /Bad --seed "-1"/);
  throwsInput(["--seed", "1.5"], /Bad --seed/);
  throwsInput(["--bogus"], /bogus/);
  throwsInput(["--out", ""], /Bad --out/);
  const io = quietIo();
  if (await runCalibrate(["--help"], io) !== 0 || !io.text().startsWith("Usage:")) {
    throw new Error("help");
  }
  const options = parseCalibrateOptions(["--loads", "0.2,0.7", "--duration", "1.5s"]);
  if (options === "help" || options.loads.join() !== "0.2,0.7" || options.durationNs !== 1.5e9) {
    throw new Error(JSON.stringify(options));
  }
});
