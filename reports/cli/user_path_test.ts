import assert from "node:assert/strict";
import { userPath } from "./user_path.ts";

Deno.test("userPath resolves a relative path against the directory the user ran from", () => {
  const options = { initCwd: "/home/me/runs", cwd: "/repo" };
  assert.equal(userPath("trace.json", options), "/home/me/runs/trace.json");
  assert.equal(userPath("../out", options), "/home/me/out");
  assert.equal(userPath("./a/b.json", options), "/home/me/runs/a/b.json");
});

Deno.test("userPath keeps absolute paths, and every path when run from the working directory", () => {
  assert.equal(userPath("/tmp/out", { initCwd: "/home/me", cwd: "/repo" }), "/tmp/out");
  assert.equal(userPath("out", { initCwd: "/repo", cwd: "/repo" }), "out");
  assert.equal(userPath("out", { initCwd: "/repo/", cwd: "/repo" }), "out");
  assert.equal(userPath("out", { initCwd: "", cwd: "/repo" }), "out");
});
