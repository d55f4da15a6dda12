/**
 * Policies from outside the registry, named by their source wherever a
 * policy name goes (`run --policy`, `bench --policy`, `swap:SOURCE@T`):
 *
 * - a policy file: a path ending in `.ts` or `.js`, or a `file:` or `npm:`
 *   specifier, whose default export is a policy definition made with the SDK
 *   (`definePolicy`); it is imported, checked and registered;
 * - `exec:COMMAND ARGS...`: an agent in another process, in any language,
 *   speaking the protocol of exec/README.md; it is started once to learn
 *   its name and model (its `hello`), then once per agent process of a run.
 *
 * Loading is asynchronous (an import, a process), so callers load every
 * source a run names before the run: {@link loadPolicySource}. A source
 * that cannot be loaded is an InputError with one line saying why.
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InputError } from "../core/errors.ts";
import type { OptionValues } from "../core/options.ts";
import { SEC } from "../core/units.ts";
import { AgentChannel, AgentError } from "./exec/agent_channel.ts";
import { ExecPolicy } from "./exec/exec_policy.ts";
import { parseHello, PROTOCOL_VERSION } from "./exec/protocol.ts";
import { type PolicyDefinition, registerPolicySource, resolvePolicy } from "./registry.ts";

/** How long an exec agent may take to answer, by default (the `--agent-timeout` option). */
export const DEFAULT_AGENT_TIMEOUT_NS = 10 * SEC;

/** What kind of source a policy name is: a file, an exec agent, or neither (a registered name). */
export function policySourceKind(name: string): "file" | "exec" | null {
  if (name.startsWith("exec:")) return "exec";
  if (/^(file|npm):/.test(name) || /\.(ts|js|mts|mjs)$/.test(name)) return "file";
  return null;
}

const loading = new Map<string, Promise<PolicyDefinition>>();

/**
 * Loads the policy a source names, once, and registers it in `POLICIES`
 * under the source's text; a registered name is returned as it is.
 *
 * @throws {InputError} when the file does not load (not found, a syntax
 * error, no default export, not a policy definition, a model other than
 * per-cpu or centralized), or the agent does not start and greet
 */
export function loadPolicySource(name: string): Promise<PolicyDefinition> {
  const kind = policySourceKind(name);
  if (kind === null) {
    try {
      return Promise.resolve(resolvePolicy(name));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  let loaded = loading.get(name);
  if (loaded === undefined) {
    loaded = kind === "file" ? loadFile(name) : Promise.resolve(name).then(loadExec);
    loading.set(name, loaded);
  }
  return loaded;
}

/** Loads every source among `names` (registered names pass); see {@link loadPolicySource}. */
export async function loadPolicySources(names: Iterable<string>): Promise<void> {
  for (const name of new Set(names)) {
    if (policySourceKind(name) !== null) await loadPolicySource(name);
  }
}

/**
 * The directory the user ran the command from: `deno task` runs in the
 * repository and passes it in `INIT_CWD`. A relative policy path, and an
 * exec agent's command line, start there.
 */
function userDir(): string {
  const dir = Deno.env.get("INIT_CWD");
  return dir === undefined || dir === "" ? Deno.cwd() : dir;
}

/** The URL a policy file's source names. */
function fileUrl(source: string): string {
  return /^(file|npm):/.test(source) ? source : pathToFileURL(resolve(userDir(), source)).href;
}

async function loadFile(source: string): Promise<PolicyDefinition> {
  const bad = (why: string) => new InputError(`Cannot load policy "${source}": ${why}`);
  let module: Record<string, unknown>;
  try {
    module = await import(fileUrl(source));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/^Module not found/.test(oneLine(message))) throw bad("no such file");
    // A parse error names its place on its last line: "at file:///...:3:5".
    const place = /\bat (file:\/\/\S+:\d+:\d+)\s*$/.exec(message)?.[1];
    throw bad(oneLine(message) + (place === undefined ? "" : ` (${place})`));
  }
  const definition = module.default;
  if (definition === undefined) {
    throw bad("no default export (export default definePolicy({ name, model, create, ... }))");
  }
  if (typeof definition !== "object" || definition === null) {
    throw bad("its default export is not a policy definition (use definePolicy)");
  }
  const model = (definition as { model?: unknown }).model;
  if (model !== "per-cpu" && model !== "centralized") {
    throw bad(
      `its model is ${JSON.stringify(model)}: expected per-cpu or centralized (a policy that ` +
        "picks in the in-kernel hook is per-cpu and installs it with ctx.setPickHook)",
    );
  }
  try {
    return registerPolicySource(source, definition as PolicyDefinition);
  } catch (error) {
    throw bad(oneLine(error instanceof Error ? error.message : String(error)));
  }
}

/**
 * Splits `exec:COMMAND ARGS...` into the command and its arguments: words
 * separated by spaces, quotes (`'...'`, `"..."`) keep spaces, no shell.
 *
 * @example
 * ```ts
 * import { parseExecSource } from "./sources.ts";
 * const { command, args } = parseExecSource("exec:python3 'my agent.py' --fast");
 * if (command !== "python3" || args[0] !== "my agent.py" || args[1] !== "--fast") throw new Error();
 * ```
 */
export function parseExecSource(source: string): { command: string; args: string[] } {
  const words: string[] = [];
  const text = source.slice("exec:".length);
  const pattern = /"([^"]*)"|'([^']*)'|([^\s"']+)/g;
  let word = "";
  let inWord = false;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const gap = text.slice(last, match.index);
    if (inWord && /\s/.test(gap)) {
      words.push(word);
      word = "";
    }
    word += match[1] ?? match[2] ?? match[3] ?? "";
    inWord = true;
    last = match.index + match[0].length;
  }
  if (inWord) words.push(word);
  const [command, ...args] = words;
  if (command === undefined || command === "") {
    throw new InputError(`Bad policy "${source}": expected exec:COMMAND ARGS...`);
  }
  return { command, args };
}

function loadExec(source: string): PolicyDefinition {
  const { command, args } = parseExecSource(source);
  // The agent is asked who it is once; each run's agents greet it again.
  const channel = new AgentChannel(command, {
    args,
    cwd: userDir(),
    timeoutMs: DEFAULT_AGENT_TIMEOUT_NS / 1e6,
    stderrPrefix: `[${command}] `,
  });
  let hello;
  try {
    hello = parseHello(channel.exchange(`{"type":"hello","protocol":${PROTOCOL_VERSION}}`));
  } catch (error) {
    const tail = error instanceof AgentError ? error.stderrTail : channel.stderrTail();
    const why = error instanceof Error ? error.message : String(error);
    throw new InputError(
      `Cannot load policy "${source}": ${oneLine(why)}` +
        (tail === "" ? "" : ` (stderr: ${oneLine(tail.split("\n").at(-1)!)})`),
    );
  } finally {
    channel.close();
  }
  return registerPolicySource(source, {
    name: hello.name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+/, "") || "agent",
    description: `${hello.description} (external agent, protocol ${PROTOCOL_VERSION})`,
    model: hello.model,
    options: {
      agentTimeoutNs: {
        kind: "duration",
        min: 1_000_000,
        default: DEFAULT_AGENT_TIMEOUT_NS,
        help: "wall-clock time the agent may take to answer a request before it counts as crashed",
      },
    },
    create: (options: OptionValues) =>
      new ExecPolicy(command, {
        args,
        cwd: userDir(),
        name: hello.name,
        model: hello.model,
        timeoutMs: Number(options.agentTimeoutNs ?? DEFAULT_AGENT_TIMEOUT_NS) / 1e6,
      }),
  });
}

/**
 * A hash of what a source's results depend on besides the emulator: a
 * policy file and every local module it imports (by content), or an exec
 * agent's command line and every argument that names a file (by content).
 * Bench cache keys include it, so editing a policy re-runs its points only.
 */
export async function policySourceHash(source: string): Promise<string> {
  // Loaded here: node:crypto takes about 13 ms to load, which `run` never needs.
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256").update(source).update("\n");
  if (policySourceKind(source) === "exec") {
    const { command, args } = parseExecSource(source);
    for (const word of [command, ...args]) {
      const content = await Deno.readFile(resolve(userDir(), word)).catch(() => null);
      if (content !== null) hash.update(`${word}\n`).update(content);
    }
    return hash.digest("hex").slice(0, 32);
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", fileUrl(source)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!info.success) {
    throw new InputError(
      `Cannot load policy "${source}": ${oneLine(new TextDecoder().decode(info.stderr))}`,
    );
  }
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    modules?: { specifier: string; local?: string }[];
  };
  const modules = [...(graph.modules ?? [])].sort((a, b) =>
    a.specifier < b.specifier ? -1 : a.specifier > b.specifier ? 1 : 0
  );
  for (const module of modules) {
    hash.update(`${module.specifier}\n`);
    if (module.specifier.startsWith("file:") && module.local !== undefined) {
      hash.update(await Deno.readFile(module.local));
    }
  }
  return hash.digest("hex").slice(0, 32);
}

/** The first line of a message, without Deno's color codes. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "").trim();
  return plain.split("\n")[0] ?? plain;
}
