/**
 * Shard files: what `bench --shard I/N` leaves in its output directory
 * (`shard-I-of-N.json`: the run's suite, seed, figures, added policies, fair class and cost
 * profile (with its file's hash), and the cache
 * keys of its points), and the checks `merge` makes on them before it
 * writes anything: each file must be exactly what bench writes, every shard
 * of the run must be there, once, and all of one run.
 *
 * @module
 */

import { join } from "node:path";
import { InputError } from "../../core/errors.ts";
import { FAIR_CLASSES, type FairClassName } from "../../core/kernel.ts";
import type { Suite } from "../figures/figure.ts";
import { FIGURES } from "../figures/registry.ts";

/** The contents of `shard-I-of-N.json`. */
export interface ShardFile {
  /** Suite of the run. */
  suite: Suite;
  /** Seed of the run. */
  seed: number;
  /** Figures of the run (all when null). */
  only: string[] | null;
  /** Which shard: `index` (1-based) of `count`. */
  shard: { index: number; count: number };
  /** Policies the run added (`bench --policy`), when it added any. */
  policies?: string[];
  /** The fair class of every run (`bench --fair`), when not CFS. */
  fair?: FairClassName;
  /** The cost profile of every point (`bench --costs`), when given. */
  costs?: string;
  /** The content hash of that cost profile file (merge needs no copy of the file). */
  costsHash?: string;
  /** Cache keys of the shard's points, in plan order. */
  keys: string[];
}

/** A shard file found and checked. */
export interface FoundShard extends ShardFile {
  /** Its directory, as given. */
  dir: string;
  /** Its path. */
  path: string;
}

/** Every shard of one run, checked. */
export interface Shards {
  /** Suite, seed, figures and added policies, common to every shard. */
  header: Pick<ShardFile, "suite" | "seed" | "only" | "policies" | "fair" | "costs" | "costsHash">;
  /** The shards, by index. */
  files: FoundShard[];
}

const SHARD_NAME = /^shard-(\d+)-of-(\d+)\.json$/;

/**
 * Reads and checks the shard files of `dirs`.
 *
 * @throws {InputError} naming the directory or file at fault: no shard
 * file, a file that is not what bench writes, shards of different runs, a
 * shard given twice, shards missing
 *
 * @example
 * ```ts
 * import { readShards } from "./shards.ts";
 * const dir = await Deno.makeTempDir();
 * Deno.writeTextFileSync(`${dir}/shard-1-of-1.json`, "null");
 * try {
 *   readShards([dir]);
 *   throw new Error("accepted");
 * } catch (error) {
 *   if (!String(error).includes("shard-1-of-1.json")) throw error;
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readShards(dirs: readonly string[]): Shards {
  const files: FoundShard[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].filter((e) => !e.isDirectory).map((e) => e.name);
    } catch (error) {
      const why = error instanceof Deno.errors.NotFound
        ? "it does not exist"
        : error instanceof Deno.errors.NotADirectory
        ? "it is not a directory"
        : firstLine(error);
      throw new InputError(`Cannot read shard directory "${dir}": ${why}`);
    }
    const shardNames = names.filter((name) => SHARD_NAME.test(name)).sort();
    if (shardNames.length === 0) {
      throw new InputError(`No shard output in "${dir}": run bench --shard I/N there first`);
    }
    for (const name of shardNames) {
      const path = join(dir, name);
      files.push({ ...parseShardFile(readText(path), path), dir, path });
    }
  }
  const first = files[0]!;
  const header = {
    suite: first.suite,
    seed: first.seed,
    only: first.only,
    ...(first.policies === undefined ? {} : { policies: first.policies }),
    ...(first.fair === undefined ? {} : { fair: first.fair }),
    ...(first.costs === undefined ? {} : { costs: first.costs }),
    ...(first.costsHash === undefined ? {} : { costsHash: first.costsHash }),
  };
  const count = first.shard.count;
  const byIndex = new Map<number, FoundShard>();
  for (const file of files) {
    const here = {
      suite: file.suite,
      seed: file.seed,
      only: file.only,
      policies: file.policies,
      fair: file.fair,
      costs: file.costs,
      costsHash: file.costsHash,
    };
    if (!sameRun(header, here) || file.shard.count !== count) {
      throw new InputError(
        `Shards of different runs: "${first.path}" (${describe(first)}) and "${file.path}" ` +
          `(${describe(file)})`,
      );
    }
    const twin = byIndex.get(file.shard.index);
    if (twin !== undefined) {
      throw new InputError(
        `Duplicate shard ${file.shard.index}/${count}: "${twin.path}" and "${file.path}" ` +
          "(give each shard's directory once)",
      );
    }
    byIndex.set(file.shard.index, file);
  }
  const missing: number[] = [];
  for (let index = 1; index <= count; index++) if (!byIndex.has(index)) missing.push(index);
  if (missing.length > 0) {
    throw new InputError(
      `Missing shard${missing.length === 1 ? "" : "s"} ${missing.join(", ")} of ${count}: ` +
        `give the output directories of every 'bench --shard I/${count}' run`,
    );
  }
  return { header, files: [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i)!) };
}

/**
 * Parses and checks the text of the shard file `path` (named
 * `shard-I-of-N.json`).
 *
 * @throws {InputError} `Bad shard file "PATH": ` and what is wrong
 */
export function parseShardFile(text: string, path: string): ShardFile {
  const fail = (problem: string): never => {
    throw new InputError(`Bad shard file "${path}": ${problem}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(text.trim() === "" ? "it is empty" : "it is not JSON");
  }
  if (!isRecord(value)) return fail("expected a JSON object");
  const suite = value.suite;
  if (suite !== "quick" && suite !== "full" && suite !== "test") {
    return fail(`"suite" ${show(suite)}: expected quick, full or test`);
  }
  const seed = value.seed;
  if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    return fail(`"seed" ${show(seed)}: expected an integer from 0 to 4294967295`);
  }
  const known = FIGURES.map((f) => f.name);
  let only: string[] | null = null;
  if (value.only !== null) {
    const list = value.only;
    if (!Array.isArray(list) || list.length === 0) {
      return fail(`"only" ${show(list)}: expected null or a list of figure names`);
    }
    only = [];
    for (const name of list) {
      if (typeof name !== "string" || !known.includes(name) || only.includes(name)) {
        return fail(
          `"only" names ${show(name)}: expected each of ${known.join(", ")} at most once`,
        );
      }
      only.push(name);
    }
  }
  const shard = value.shard;
  const index = isRecord(shard) ? shard.index : undefined;
  const count = isRecord(shard) ? shard.count : undefined;
  if (
    typeof index !== "number" || typeof count !== "number" || !Number.isInteger(index) ||
    !Number.isInteger(count) || index < 1 || index > count
  ) {
    return fail(`"shard" ${show(shard)}: expected {"index": I, "count": N} with 1 <= I <= N`);
  }
  const match = SHARD_NAME.exec(path.split(/[\\/]/).at(-1) ?? "");
  if (match !== null && (Number(match[1]) !== index || Number(match[2]) !== count)) {
    return fail(`it says shard ${index}/${count}, its name shard ${match[1]}/${match[2]}`);
  }
  const keys = value.keys;
  if (
    !Array.isArray(keys) || !keys.every((k) => typeof k === "string" && /^[0-9a-f]{32}$/.test(k))
  ) {
    return fail(`"keys": expected a list of point keys (32 hex digits)`);
  }
  const policies = value.policies;
  if (
    policies !== undefined &&
    (!Array.isArray(policies) || !policies.every((p) => typeof p === "string" && p !== ""))
  ) {
    return fail(`"policies" ${show(policies)}: expected a list of policies`);
  }
  const fair = value.fair;
  if (fair !== undefined && (fair === "cfs" || !FAIR_CLASSES.includes(fair as FairClassName))) {
    return fail(`"fair" ${show(fair)}: expected eevdf, or no field for cfs`);
  }
  const costs = value.costs;
  const costsHash = value.costsHash;
  if (costs !== undefined && (typeof costs !== "string" || costs === "")) {
    return fail(`"costs" ${show(costs)}: expected a cost profile name or file`);
  }
  const hashed = typeof costs === "string" && costs.endsWith(".json");
  if (
    hashed
      ? typeof costsHash !== "string" || !/^[0-9a-f]{64}$/.test(costsHash)
      : costsHash !== undefined
  ) {
    return fail(`"costsHash" ${show(costsHash)}: expected the SHA-256 of a costs file, with one`);
  }
  return {
    suite,
    seed,
    only,
    shard: { index, count },
    keys: keys as string[],
    ...(policies === undefined ? {} : { policies: policies as string[] }),
    ...(fair === undefined ? {} : { fair: fair as FairClassName }),
    ...(costs === undefined ? {} : { costs: costs as string }),
    ...(hashed ? { costsHash: costsHash as string } : {}),
  };
}

function readText(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw new InputError(`Cannot read shard file "${path}": ${firstLine(error)}`);
  }
}

function sameRun(a: object, b: object): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(header: unknown): unknown {
  if (!isRecord(header)) return header;
  const only = Array.isArray(header.only) ? [...header.only].sort() : header.only;
  return {
    suite: header.suite,
    seed: header.seed,
    only,
    policies: header.policies ?? [],
    fair: header.fair ?? "cfs",
    costs: header.costs ?? null,
    costsHash: header.costsHash ?? null,
  };
}

function describe(file: ShardFile): string {
  return `suite ${file.suite}, seed ${file.seed}, ${
    file.only === null ? "all figures" : file.only.join(",")
  }${file.policies === undefined ? "" : `, policies ${file.policies.join(",")}`}${
    file.fair === undefined ? "" : `, fair ${file.fair}`
  }${file.costs === undefined ? "" : `, costs ${file.costs}`}, ${file.shard.count} shards`;
}

function show(value: unknown): string {
  const text = value === undefined ? "missing" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
