/**
 * Runs a GitHub Actions workflow of this repository on this machine, the
 * way a hosted runner would, so that the workflows are tested before they
 * are pushed: `deno task workflow` runs `.github/workflows/bench.yml`, and
 * tests/workflow_test.ts runs it at the `test` scale.
 *
 * It understands what our workflows use, and refuses anything else (so a
 * workflow that grows past it fails its test rather than being half run):
 * - jobs in `needs` order, a `strategy.matrix` of lists (every combination
 *   runs, one after the other), `env` at workflow, job and step level, `if:`
 *   with `always()`, `success()` or `failure()`;
 * - `${{ }}` expressions of the form `matrix.X`, `inputs.X`, `env.X`,
 *   `'text'`, joined with `||`; `inputs` are those of `workflow_dispatch`
 *   (their defaults, overridden by {@link WorkflowOptions.inputs});
 * - `run:` steps, in `bash --noprofile --norc -eo pipefail` as on GitHub,
 *   in the job's workspace;
 * - the actions `actions/checkout` (the workspace gets the repository's
 *   files: tracked and untracked but not ignored), `actions/setup-node`
 *   (nothing: the machine's own tools are used),
 *   `actions/upload-artifact` (`name`, `path`, `include-hidden-files`,
 *   `if-no-files-found`) and `actions/download-artifact` (`name` or
 *   `pattern`, `path`, `merge-multiple`), with artifacts kept in a folder.
 *
 * ```sh
 * deno task workflow [FILE] [--input NAME=VALUE]... [--keep DIR]
 * deno task workflow --input suite=test --input only=microbench,search
 * ```
 *
 * `FILE` defaults to `.github/workflows/bench.yml`; `--keep DIR` keeps the
 * workspaces and artifacts in DIR (default: a temporary folder, removed).
 *
 * @module
 */

import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "npm:yaml@2.9.1";

const ROOT = new URL("../", import.meta.url).pathname;

/** The actions a workflow may use, by name (any version). */
export const ALLOWED_ACTIONS: readonly string[] = [
  "actions/checkout",
  "actions/setup-node",
  "actions/upload-artifact",
  "actions/download-artifact",
];

/** Options of {@link runWorkflow}. */
export interface WorkflowOptions {
  /** `workflow_dispatch` inputs, over their defaults. @default none */
  inputs?: Readonly<Record<string, string>>;
  /** Folder of the jobs' workspaces and the artifacts. @default a new temporary folder */
  workDir?: string;
  /** Receives the output of every step, line by line, and the runner's own lines. */
  log?: (line: string) => void;
}

/** What happened to one step. */
export interface StepResult {
  /** Job id, with its matrix values: `shard (shard=2)`. */
  job: string;
  /** The step's name, `run` text or action. */
  step: string;
  /** Outcome. */
  outcome: "success" | "failure" | "skipped";
}

/** The result of {@link runWorkflow}. */
export interface WorkflowRun {
  /** Whether every job succeeded. */
  ok: boolean;
  /** Every step, in order. */
  steps: StepResult[];
  /** Where the workspaces (`jobs/`) and artifacts (`artifacts/NAME/`) are. */
  workDir: string;
}

/** A step as the workflow file gives it. */
export interface StepSpec {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
}

/** A job as the workflow file gives it. */
export interface JobSpec {
  needs?: string | string[];
  env?: Record<string, unknown>;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: StepSpec[];
}

/** Values an expression can read. */
interface Scope {
  matrix: Record<string, string>;
  inputs: Record<string, string>;
  env: Record<string, string>;
}

/**
 * Parses a workflow file and checks that it stays within what this runner
 * (and the project's rules: only the four allowed actions) supports.
 *
 * @throws {Error} naming what is not supported
 */
export function readWorkflow(path: string): {
  env: Record<string, unknown>;
  inputs: Record<string, string>;
  jobs: Record<string, JobSpec>;
} {
  const doc = parseYaml(Deno.readTextFileSync(path)) as Record<string, unknown>;
  const on = (doc.on ?? {}) as Record<string, unknown>;
  const dispatch = (on.workflow_dispatch ?? {}) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  const inputs: Record<string, string> = {};
  for (const [name, input] of Object.entries(dispatch.inputs ?? {})) {
    inputs[name] = String(input.default ?? "");
  }
  const jobs = doc.jobs as Record<string, JobSpec> | undefined;
  if (jobs === undefined || Object.keys(jobs).length === 0) throw new Error(`${path}: no jobs`);
  for (const [id, job] of Object.entries(jobs)) {
    if (!Array.isArray(job.steps)) throw new Error(`${path}: job ${id} has no steps`);
    for (const step of job.steps) {
      if ((step.uses === undefined) === (step.run === undefined)) {
        throw new Error(`${path}: job ${id}: a step needs one of uses or run`);
      }
      if (step.uses !== undefined && !ALLOWED_ACTIONS.includes(step.uses.split("@")[0]!)) {
        throw new Error(`${path}: job ${id}: action ${step.uses} is not allowed`);
      }
    }
  }
  return { env: (doc.env ?? {}) as Record<string, unknown>, inputs, jobs };
}

/**
 * Runs the workflow at `path` (relative to the repository root or absolute)
 * and reports every step.
 */
export async function runWorkflow(
  path: string,
  options: WorkflowOptions = {},
): Promise<WorkflowRun> {
  const file = path.startsWith("/") ? path : join(ROOT, path);
  const workflow = readWorkflow(file);
  const log = options.log ?? (() => {});
  const workDir = options.workDir ?? await Deno.makeTempDir({ prefix: "ghostbench-workflow-" });
  const inputs = { ...workflow.inputs, ...options.inputs };
  const steps: StepResult[] = [];
  const jobOk = new Map<string, boolean>();
  for (const id of jobOrder(workflow.jobs)) {
    const job = workflow.jobs[id]!;
    const needs = typeof job.needs === "string" ? [job.needs] : job.needs ?? [];
    const blocked = needs.some((need) => jobOk.get(need) !== true);
    let ok = true;
    for (const matrix of combinations(job.strategy?.matrix ?? {})) {
      const label = Object.keys(matrix).length === 0
        ? id
        : `${id} (${Object.entries(matrix).map(([k, v]) => `${k}=${v}`).join(", ")})`;
      const workspace = join(workDir, "jobs", label.replace(/[^\w=-]+/g, "_"));
      await Deno.mkdir(workspace, { recursive: true });
      const scope: Scope = { matrix, inputs, env: {} };
      scope.env = { ...evaluateAll(workflow.env, scope) };
      scope.env = { ...scope.env, ...evaluateAll(job.env ?? {}, scope) };
      let failed = blocked;
      for (const step of job.steps) {
        const name = step.name ?? step.uses ?? step.run!.split("\n")[0]!;
        if (!shouldRun(step.if, failed)) {
          steps.push({ job: label, step: name, outcome: "skipped" });
          continue;
        }
        log(`workflow: ${label}: ${name}`);
        let success: boolean;
        try {
          success = await runStep(step, { scope, workspace, workDir, log });
        } catch (error) {
          log(`workflow: ${label}: ${name}: ${error instanceof Error ? error.message : error}`);
          success = false;
        }
        steps.push({ job: label, step: name, outcome: success ? "success" : "failure" });
        if (!success) failed = true;
      }
      if (failed) ok = false;
    }
    jobOk.set(id, ok);
  }
  return { ok: [...jobOk.values()].every((ok) => ok), steps, workDir };
}

/** Job ids, each after the jobs it needs. */
function jobOrder(jobs: Record<string, JobSpec>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (id: string) => {
    if (!Object.hasOwn(jobs, id)) throw new Error(`Unknown job "${id}" in needs`);
    if (state.get(id) === "done") return;
    if (state.get(id) === "visiting") throw new Error(`Jobs need each other: ${id}`);
    state.set(id, "visiting");
    const needs = jobs[id]!.needs;
    for (const need of typeof needs === "string" ? [needs] : needs ?? []) visit(need);
    state.set(id, "done");
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id);
  return order;
}

/** Every combination of a matrix's lists. */
function combinations(matrix: Record<string, unknown[]>): Record<string, string>[] {
  let result: Record<string, string>[] = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    if (!Array.isArray(values)) throw new Error(`Matrix "${key}" is not a list`);
    result = result.flatMap((partial) => values.map((v) => ({ ...partial, [key]: String(v) })));
  }
  return result;
}

function shouldRun(condition: string | undefined, failed: boolean): boolean {
  const text = (condition ?? "success()").replace(/^\$\{\{\s*|\s*\}\}$/g, "").trim();
  switch (text) {
    case "always()":
      return true;
    case "success()":
      return !failed;
    case "failure()":
      return failed;
    default:
      throw new Error(`Unsupported if: ${condition}`);
  }
}

/** Evaluates `${{ }}` in every value of a record. */
function evaluateAll(values: Record<string, unknown>, scope: Scope): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) result[key] = substitute(String(value), scope);
  return result;
}

/** Replaces every `${{ expression }}` in `text`. */
function substitute(text: string, scope: Scope): string {
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => evaluate(expression, scope));
}

function evaluate(expression: string, scope: Scope): string {
  for (const operand of expression.split("||").map((part) => part.trim())) {
    let value: string | undefined;
    const literal = /^'([^']*)'$/.exec(operand);
    const path = /^(matrix|inputs|env)\.([\w-]+)$/.exec(operand);
    if (literal !== null) value = literal[1]!;
    else if (path !== null) {
      const table = scope[path[1] as keyof Scope];
      value = Object.hasOwn(table, path[2]!) ? table[path[2]!] : undefined;
    } else throw new Error(`Unsupported expression: \${{ ${expression.trim()} }}`);
    if (value !== undefined && value !== "") return value;
  }
  return "";
}

interface StepContext {
  scope: Scope;
  workspace: string;
  workDir: string;
  log: (line: string) => void;
}

async function runStep(step: StepSpec, context: StepContext): Promise<boolean> {
  const { scope, workspace, workDir } = context;
  const stepEnv = { ...scope.env, ...evaluateAll(step.env ?? {}, scope) };
  const stepScope: Scope = { ...scope, env: stepEnv };
  const inputs = evaluateAll(step.with ?? {}, stepScope);
  if (step.run !== undefined) {
    return await runShell(substitute(step.run, stepScope), { ...context, env: stepEnv });
  }
  const action = step.uses!.split("@")[0];
  switch (action) {
    case "actions/checkout":
      await checkout(workspace);
      return true;
    case "actions/setup-node":
      return true;
    case "actions/upload-artifact": {
      const name = inputs.name || "artifact";
      const target = join(workDir, "artifacts", name);
      if (await exists(target)) throw new Error(`Artifact "${name}" uploaded twice`);
      const source = join(workspace, inputs.path ?? "");
      if (!(await exists(source))) {
        if ((inputs["if-no-files-found"] ?? "warn") === "error") {
          throw new Error(`No files at "${inputs.path}" to upload`);
        }
        return true;
      }
      await copyTree(source, target, inputs["include-hidden-files"] === "true");
      return true;
    }
    case "actions/download-artifact": {
      const into = join(workspace, inputs.path ?? "");
      const artifacts = join(workDir, "artifacts");
      const names = [...Deno.readDirSync(artifacts)].map((e) => e.name).sort();
      if (inputs.name) {
        if (!names.includes(inputs.name)) throw new Error(`No artifact "${inputs.name}"`);
        await copyTree(join(artifacts, inputs.name), into, true);
        return true;
      }
      const pattern = globRegExp(inputs.pattern || "*");
      const chosen = names.filter((name) => pattern.test(name));
      const merge = inputs["merge-multiple"] === "true";
      for (const name of chosen) {
        await copyTree(join(artifacts, name), merge ? into : join(into, name), true);
      }
      return true;
    }
    default:
      throw new Error(`Unsupported action ${step.uses}`);
  }
}

async function runShell(
  script: string,
  context: StepContext & { env: Record<string, string> },
): Promise<boolean> {
  const child = new Deno.Command("bash", {
    args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", script],
    cwd: context.workspace,
    // INIT_CWD as a fresh runner's `deno task` sets it (deno task keeps an inherited one).
    env: {
      ...context.env,
      CI: "true",
      GITHUB_WORKSPACE: context.workspace,
      INIT_CWD: context.workspace,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const line of lines) context.log(`  ${line}`);
    }
    if (rest !== "") context.log(`  ${rest}`);
  };
  const [status] = await Promise.all([child.status, pump(child.stdout), pump(child.stderr)]);
  return status.success;
}

/** Copies the repository's files (tracked, and untracked but not ignored) to `dir`. */
async function checkout(dir: string): Promise<void> {
  const output = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  if (!output.success) throw new Error("git ls-files failed");
  const paths = new TextDecoder().decode(output.stdout).split("\0").filter((p) => p !== "");
  for (const path of paths) {
    const from = join(ROOT, path);
    if (!(await exists(from))) continue; // deleted in the work tree
    await Deno.mkdir(join(dir, path, ".."), { recursive: true });
    await Deno.copyFile(from, join(dir, path));
  }
}

async function copyTree(from: string, to: string, hidden: boolean): Promise<void> {
  const info = await Deno.stat(from);
  if (info.isFile) {
    await Deno.mkdir(join(to, ".."), { recursive: true });
    await Deno.copyFile(from, join(to, basename(from)));
    return;
  }
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    if (!hidden && entry.name.startsWith(".")) continue;
    const source = join(from, entry.name);
    if (entry.isDirectory) await copyTree(source, join(to, entry.name), hidden);
    else if (entry.isFile) await Deno.copyFile(source, join(to, entry.name));
  }
}

function globRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")
    .replaceAll("?", ".");
  return new RegExp(`^${escaped}$`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      input: { type: "string", multiple: true },
      keep: { type: "string" },
    },
    allowPositionals: true,
  });
  const inputs: Record<string, string> = {};
  for (const pair of values.input ?? []) {
    const at = pair.indexOf("=");
    if (at < 1) {
      console.error(`workflow: Bad --input "${pair}": expected NAME=VALUE`);
      Deno.exit(2);
    }
    inputs[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const workDir = values.keep;
  if (workDir !== undefined) await Deno.mkdir(workDir, { recursive: true });
  const run = await runWorkflow(positionals[0] ?? ".github/workflows/bench.yml", {
    inputs,
    ...(workDir === undefined ? {} : { workDir }),
    log: (line) => console.error(line),
  });
  for (const step of run.steps) console.log(`${step.outcome.padEnd(8)} ${step.job}: ${step.step}`);
  if (workDir === undefined) await Deno.remove(run.workDir, { recursive: true });
  const kept = workDir === undefined ? "" : `; workspaces and artifacts in ${workDir}`;
  console.log(`workflow: ${run.ok ? "success" : "FAILED"}${kept}`);
  Deno.exit(run.ok ? 0 : 1);
}
