/**
 * Writing report files: atomic writes (a reader never sees a half-written
 * file), deterministic CSV, and a check that the output directory can be
 * used, which fails as an {@link InputError} (exit code 2 in the CLI).
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { InputError } from "../../core/errors.ts";

/** Options of {@link toCsv}. */
export interface CsvOptions {
  /**
   * Columns, in order. @default the keys of the rows in order of first
   * appearance (the first row's keys, then keys only later rows have)
   */
  columns?: readonly string[];
  /** Line ending. @default "\n" */
  lineEnding?: "\n" | "\r\n";
}

let tempCounter = 0;

/**
 * Writes a file atomically: the data goes to a temporary file in the same
 * directory, is flushed to disk, and is renamed over `path`. On failure the
 * temporary file is removed and `path` is left as it was.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./write_files.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.csv`, "x\n1\n");
 * if (Deno.readTextFileSync(`${dir}/a.csv`) !== "x\n1\n") throw new Error("not written");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  tempCounter += 1;
  const temp = join(dirname(path), `.${basename(path)}.${Deno.pid}.${tempCounter}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Formats rows as CSV: a header line, then one line per row, each line
 * ending in `lineEnding` (the last one too). A cell is quoted when it holds
 * a comma, a double quote, a carriage return or a line feed, with inner
 * quotes doubled (RFC 4180).
 *
 * @example
 * ```ts
 * import { toCsv } from "./write_files.ts";
 * const csv = toCsv([{ policy: "cfs", note: 'a "b", c' }, { policy: "sol", note: null }]);
 * if (csv !== 'policy,note\ncfs,"a ""b"", c"\nsol,\n') throw new Error(csv);
 * ```
 */
export function toCsv<Row extends object>(rows: readonly Row[], options: CsvOptions = {}): string {
  const end = options.lineEnding ?? "\n";
  const columns = options.columns ?? columnsOf(rows);
  const lines = [columns.map((column) => csvCell(column)).join(",")];
  for (const row of rows) {
    const record = new Map<string, unknown>(Object.entries(row));
    lines.push(columns.map((column) => csvCell(record.get(column), column)).join(","));
  }
  return lines.map((line) => line + end).join("");
}

/**
 * Creates `dir` (and its parents) when missing and checks that a file can
 * be written in it.
 *
 * @throws {InputError} when the directory cannot be created or written
 *
 * @example
 * ```ts
 * import { ensureWritableDir } from "./write_files.ts";
 * const dir = await Deno.makeTempDir();
 * await ensureWritableDir(`${dir}/out/figures`);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new InputError(`Cannot create output directory "${dir}": ${reason(error)}`);
  }
  const info = await Deno.stat(dir);
  if (!info.isDirectory) {
    throw new InputError(`Cannot use output directory "${dir}": it is not a directory`);
  }
  tempCounter += 1;
  const probe = join(dir, `.write-check.${Deno.pid}.${tempCounter}.tmp`);
  try {
    await Deno.writeFile(probe, new Uint8Array(0), { createNew: true });
  } catch (error) {
    throw new InputError(`Output directory "${dir}" is not writable: ${reason(error)}`);
  }
  await Deno.remove(probe);
}

function columnsOf(rows: readonly object[]): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!seen.has(key)) {
        seen.add(key);
        columns.push(key);
      }
    }
  }
  return columns;
}

function csvCell(value: unknown, column?: string): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string") {
    throw new TypeError(
      `CSV column "${column ?? ""}" holds a ${typeof value}: expected a string, number or boolean`,
    );
  }
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
