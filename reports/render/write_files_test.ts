import assert from "node:assert/strict";
import { InputError } from "../../core/errors.ts";
import { resolveOutputFile, writeFileAtomic } from "./write_files.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ghostbench-write-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Asserts that writing `path` is refused with one line naming it and `kind`. */
async function assertRefused(path: string, kind: string): Promise<void> {
  await assert.rejects(
    () => writeFileAtomic(path, "data\n", { what: "report file" }),
    (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.ok(error.message.startsWith(`Cannot write report file "${path}": `), error.message);
      assert.ok(error.message.includes(kind), error.message);
      assert.ok(!error.message.includes("\n"), error.message);
      return true;
    },
  );
}

Deno.test("writeFileAtomic refuses a directory, a named pipe and a socket, and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    Deno.mkdirSync(`${dir}/sub`);
    await assertRefused(`${dir}/sub`, "is a directory");
    const fifo = `${dir}/fifo`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, "mkfifo");
    await assertRefused(fifo, "is a named pipe");
    const listener = Deno.listen({ transport: "unix", path: `${dir}/socket` });
    try {
      await assertRefused(`${dir}/socket`, "is a socket");
      assert.deepEqual(names(dir), ["fifo", "socket", "sub"]);
    } finally {
      listener.close();
    }
    assert.ok(Deno.lstatSync(fifo).isFifo, "the pipe is still a pipe");
  });
});

Deno.test({
  name: "writeFileAtomic refuses a device, and a link to one",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await assertRefused("/dev/full", "is a character device");
    await withTempDir(async (dir) => {
      await Deno.symlink("/dev/full", `${dir}/full`);
      await assertRefused(`${dir}/full`, 'links to "/dev/full", which is a character device');
      assert.equal(Deno.readLinkSync(`${dir}/full`), "/dev/full");
    });
  },
});

Deno.test("writeFileAtomic writes through a symbolic link: the target changes, the link stays", async () => {
  await withTempDir(async (dir) => {
    Deno.mkdirSync(`${dir}/real`);
    Deno.writeTextFileSync(`${dir}/real/data.csv`, "old\n");
    Deno.chmodSync(`${dir}/real/data.csv`, 0o600);
    // A relative link, then a link to that link.
    await Deno.symlink("real/data.csv", `${dir}/link.csv`);
    await Deno.symlink(`${dir}/link.csv`, `${dir}/link2.csv`);
    await writeFileAtomic(`${dir}/link2.csv`, "new\n");
    assert.equal(Deno.readTextFileSync(`${dir}/real/data.csv`), "new\n");
    assert.ok(Deno.lstatSync(`${dir}/link.csv`).isSymlink);
    assert.ok(Deno.lstatSync(`${dir}/link2.csv`).isSymlink);
    assert.equal(Deno.statSync(`${dir}/real/data.csv`).mode! & 0o777, 0o600, "mode kept");
    assert.deepEqual(names(`${dir}/real`), ["data.csv"], "no temp file left beside the target");
    // A dangling link: the target is created.
    await Deno.symlink("real/new.csv", `${dir}/dangling.csv`);
    await writeFileAtomic(`${dir}/dangling.csv`, "x\n");
    assert.equal(Deno.readTextFileSync(`${dir}/real/new.csv`), "x\n");
    assert.ok(Deno.lstatSync(`${dir}/dangling.csv`).isSymlink);
  });
});

Deno.test("resolveOutputFile refuses a loop of links with one line", async () => {
  await withTempDir(async (dir) => {
    await Deno.symlink(`${dir}/b`, `${dir}/a`);
    await Deno.symlink(`${dir}/a`, `${dir}/b`);
    await assert.rejects(() => resolveOutputFile(`${dir}/a`), InputError);
  });
});

Deno.test("writeFileAtomic leaves the old file and no temp file when the write fails", async () => {
  await withTempDir(async (dir) => {
    Deno.writeTextFileSync(`${dir}/keep.txt`, "old\n");
    Deno.chmodSync(dir, 0o500);
    try {
      if (Deno.uid() === 0) {
        // Root writes anyway: use a missing directory instead.
        await assert.rejects(() => writeFileAtomic(`${dir}/missing/a.txt`, "x"));
      } else {
        await assert.rejects(() => writeFileAtomic(`${dir}/keep.txt`, "new\n"));
      }
    } finally {
      Deno.chmodSync(dir, 0o700);
    }
    assert.equal(Deno.readTextFileSync(`${dir}/keep.txt`), "old\n");
    assert.deepEqual(names(dir), ["keep.txt"]);
  });
});
