/**
 * Writing report files: atomic writes (a reader never sees a half-written
 * file), and a check that the output directory can be used, which fails as
 * an {@link InputError} (exit code 2 in the CLI). CSV is in `csv.ts`.
 *
 * @module
 */

import { basename, dirname, isAbsolute, join } from "node:path";
import { InputError } from "../../core/errors.ts";

/** Options of {@link writeFileAtomic} and {@link resolveOutputFile}. */
export interface WriteOptions {
  /**
   * What the file is, for error messages: `Cannot write trace "t.json": ...`.
   * @default "file"
   */
  what?: string;
}

let tempCounter = 0;

/** Symbolic links followed before giving up (Linux's limit). */
const MAX_LINKS = 40;

/**
 * Where a write to `path` lands: `path` itself when it does not exist or is
 * a regular file; the file a symbolic link points to (through a chain of
 * links, also when it does not exist yet), so that writing through a link
 * updates its target and keeps the link.
 *
 * @throws {InputError} when `path` (or what it links to) exists and is not
 * a regular file: a directory, a device such as `/dev/full`, a named pipe,
 * a socket; or when the links loop
 *
 * @example
 * ```ts
 * import { resolveOutputFile } from "./write_files.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.symlink(`${dir}/target.json`, `${dir}/link.json`);
 * if (await resolveOutputFile(`${dir}/link.json`) !== `${dir}/target.json`) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function resolveOutputFile(path: string, options: WriteOptions = {}): Promise<string> {
  const what = options.what ?? "file";
  let current = path;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(current);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return current;
      throw new InputError(`Cannot write ${what} "${path}": ${reason(error)}`);
    }
    if (info.isFile) return current;
    if (info.isSymlink) {
      const target = await Deno.readLink(current);
      current = isAbsolute(target) ? target : join(dirname(current), target);
      continue;
    }
    const kind = fileKind(info);
    const links = current === path ? "" : `it links to "${current}", which `;
    throw new InputError(
      `Cannot write ${what} "${path}": ${links}${links === "" ? "it " : ""}is ${kind}, ` +
        "not a regular file",
    );
  }
  throw new InputError(`Cannot write ${what} "${path}": too many levels of symbolic links`);
}

/**
 * Writes a file atomically: the data goes to a temporary file in the same
 * directory, is flushed to disk, and is renamed over `path`. On failure the
 * temporary file is removed and `path` is left as it was. A symbolic link is
 * written through: the temporary file goes beside the link's target, which
 * is replaced, and the link stays. A file that is replaced keeps its mode.
 *
 * @throws {InputError} when `path` exists and is not a regular file or a
 * link to one (see {@link resolveOutputFile})
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
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  const target = await resolveOutputFile(path, options);
  let mode = 0o644;
  try {
    mode = ((await Deno.stat(target)).mode ?? mode) & 0o7777;
  } catch {
    // A new file.
  }
  tempCounter += 1;
  const temp = join(dirname(target), `.${basename(target)}.${Deno.pid}.${tempCounter}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, target);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
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

/** Name of the lock file in an output directory. */
export const LOCK_FILE = ".lock";

/** A lock taken by {@link lockOutputDir}. */
export interface OutputLock {
  /** Releases the lock. */
  release(): void;
}

/**
 * Takes the exclusive lock of the output directory `dir` (which must
 * exist), held while a bench or a merge writes there: an advisory lock
 * (`flock`) on `DIR/.lock`, which holds the holder's pid. The system
 * releases it when the holder exits, however it exits, so a lock left by a
 * killed run is free and is taken over. The file itself stays (removing it
 * would let two runs lock two different files).
 *
 * @throws {Deno.errors.Busy} when another process holds it; the message
 * names its pid
 * @throws {InputError} when `DIR/.lock` cannot be opened (a directory)
 *
 * @example
 * ```ts
 * import { lockOutputDir } from "./write_files.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await lockOutputDir(dir);
 * lock.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function lockOutputDir(dir: string): Promise<OutputLock> {
  const path = join(dir, LOCK_FILE);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (error) {
    throw new InputError(`Cannot lock output directory "${dir}": ${path}: ${reason(error)}`);
  }
  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (error) {
    file.close();
    throw error;
  }
  if (!locked) {
    file.close();
    const holder = (await Deno.readTextFile(path).catch(() => "")).trim();
    const pid = /^\d+$/.test(holder) ? ` (pid ${holder})` : "";
    throw new Deno.errors.Busy(
      `Output directory "${dir}" is in use by another ghostbench${pid}: wait for it to ` +
        "finish, or give another output directory",
    );
  }
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  return { release: () => file.close() };
}

function fileKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isFifo) return "a named pipe";
  if (info.isSocket) return "a socket";
  return "a special file";
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
