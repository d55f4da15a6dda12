import assert from "node:assert/strict";
import { InputError } from "./errors.ts";
import {
  checkOption,
  expected,
  type OptionSpec,
  type OptionSpecs,
  type OptionValuesOf,
  resolveOptions,
} from "./options.ts";
import { MS, SEC } from "./units.ts";

const SPECS = {
  workers: { kind: "integer", min: 1, max: 64, help: "worker threads" },
  ratio: { kind: "number", default: 0.5, min: 0, max: 1, help: "a probability" },
  slice: { kind: "duration", default: 30_000, min: 1, help: "time slice" },
  wait: { kind: "choice", choices: ["futex", "spin"], default: "futex", help: "how to wait" },
  service: { kind: "distribution", default: "exp:20us", help: "service time" },
  verbose: { kind: "boolean", default: false, help: "say more" },
} as const satisfies OptionSpecs;

function inputError(message: string | RegExp) {
  return (error: unknown) =>
    error instanceof InputError &&
    (typeof message === "string" ? error.message === message : message.test(error.message));
}

Deno.test("resolveOptions fills in defaults and leaves options without one unset", () => {
  const values: OptionValuesOf<typeof SPECS> = resolveOptions(SPECS);
  assert.deepEqual(values, {
    ratio: 0.5,
    slice: 30_000,
    wait: "futex",
    service: "exp:20us",
    verbose: false,
  });
  assert.equal(values.workers, undefined);
  // Typed by the declarations: a choice is its union, an option without default may be undefined.
  const wait: "futex" | "spin" = values.wait;
  const workers: number | undefined = values.workers;
  assert.equal(wait, "futex");
  assert.equal(workers, undefined);
});

Deno.test("resolveOptions keeps given values and treats undefined as unset", () => {
  const values = resolveOptions(SPECS, { workers: 4, wait: "spin", ratio: undefined });
  assert.equal(values.workers, 4);
  assert.equal(values.wait, "spin");
  assert.equal(values.ratio, 0.5);
});

Deno.test("resolveOptions rejects a key that is not declared, naming the declared ones", () => {
  assert.throws(
    () => resolveOptions(SPECS, { frob: 1 }, { owner: "workload x", label: (k) => `--${k}` }),
    inputError(
      "Unknown option --frob of workload x: expected one of --workers, --ratio, --slice, " +
        "--wait, --service, --verbose",
    ),
  );
  assert.throws(
    () => resolveOptions({}, { workers: 1 }, { owner: "workload search" }),
    inputError("Unknown option workers of workload search: expected none"),
  );
  assert.throws(() => resolveOptions(SPECS, { toString: 1 }), inputError(/Unknown option/));
});

Deno.test("checkOption accepts values in range and rejects others with the label and the value", () => {
  const cases: [OptionSpec, unknown, string][] = [
    [SPECS.workers, 0, 'Bad workers "0": expected an integer from 1 to 64'],
    [SPECS.workers, 1.5, 'Bad workers "1.5": expected an integer from 1 to 64'],
    [SPECS.workers, "4", 'Bad workers "4": expected an integer from 1 to 64'],
    [SPECS.ratio, 1.5, 'Bad ratio "1.5": expected a number from 0 to 1'],
    [SPECS.ratio, Number.NaN, 'Bad ratio "NaN": expected a number from 0 to 1'],
    [SPECS.slice, 0, 'Bad slice "0ns": expected a positive duration'],
    [SPECS.slice, 1.5, 'Bad slice "1.5": expected a positive duration'],
    [SPECS.wait, "poll", 'Bad wait "poll": expected one of futex, spin'],
    [SPECS.verbose, "yes", 'Bad verbose "yes": expected true or false'],
    [SPECS.service, 5, 'Bad service "5": expected a distribution such as exp:20us'],
  ];
  for (const [spec, value, message] of cases) {
    assert.throws(() => checkOption(spec, value, { label: message.split(" ")[1]! }), {
      name: "InputError",
      message,
    });
  }
  assert.equal(checkOption(SPECS.workers, 64, { label: "workers" }), 64);
  assert.equal(checkOption(SPECS.ratio, 0, { label: "ratio" }), 0);
  assert.equal(checkOption(SPECS.slice, 2 * SEC, { label: "slice" }), 2 * SEC);
  assert.equal(checkOption(SPECS.service, "const:1us", { label: "service" }), "const:1us");
});

Deno.test("checkOption quotes the text a value was read from, and names a choice's noun", () => {
  assert.throws(
    () => checkOption(SPECS.slice, 0, { label: "--slice", text: "0s" }),
    inputError('Bad --slice "0s": expected a positive duration'),
  );
  const policy = { kind: "choice", choices: ["cfs", "shinjuku"], noun: "policy", help: "" };
  assert.throws(
    () => checkOption(policy as OptionSpec, "fifo", { label: "--policy" }),
    inputError('Unknown policy "fifo": expected one of cfs, shinjuku'),
  );
  assert.throws(() => checkOption(SPECS.service, "exp:", { label: "service" }), /"exp:"/);
});

Deno.test("expected describes each kind of declaration", () => {
  const help = "";
  assert.equal(expected({ kind: "duration", help }), "a non-negative duration");
  assert.equal(expected({ kind: "duration", min: 1, help }), "a positive duration");
  assert.equal(expected({ kind: "duration", min: MS, help }), "a duration of at least 1ms");
  assert.equal(
    expected({ kind: "duration", min: 1, max: SEC, help }),
    "a duration from 1ns to 1s",
  );
  assert.equal(expected({ kind: "number", min: 0, minExclusive: true, help }), "a positive number");
  assert.equal(expected({ kind: "number", min: 1, max: 10, help }), "a number from 1 to 10");
  assert.equal(expected({ kind: "number", help }), "a number");
});
