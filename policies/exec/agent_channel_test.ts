import assert from "node:assert/strict";
import { AgentChannel, AgentError } from "./agent_channel.ts";

const ECHO = ["-c", 'while read line; do echo "$line"; echo "got $line" >&2; done'];

Deno.test("AgentChannel exchanges lines with a process, long ones included", () => {
  const channel = new AgentChannel("sh", { args: ECHO, stderrPrefix: "[echo] " });
  try {
    assert.equal(channel.exchange('{"n":1}'), '{"n":1}');
    const long = "x".repeat(300_000);
    assert.equal(channel.exchange(long), long);
    assert.ok(channel.pid > 0);
  } finally {
    channel.close();
  }
});

Deno.test("AgentChannel reports an agent that exits, with its last stderr lines", () => {
  const channel = new AgentChannel("sh", { args: ["-c", "read line; echo bye >&2; exit 3"] });
  assert.throws(() => channel.exchange("hello"), (error: unknown) => {
    assert.ok(error instanceof AgentError);
    assert.equal(error.message, "exited with status 3");
    assert.equal(error.stderrTail, "bye");
    return true;
  });
  // It stays failed.
  assert.throws(() => channel.exchange("again"), /exited with status 3/);
  channel.close();
});

Deno.test("AgentChannel gives up on a silent agent after its wall-clock timeout", () => {
  const channel = new AgentChannel("sh", {
    args: ["-c", "read line; exec sleep 60"],
    timeoutMs: 300,
  });
  const started = performance.now();
  assert.throws(() => channel.exchange("hello"), /did not answer within 300ms \(wall clock\)/);
  assert.ok(performance.now() - started < 5_000);
  channel.close();
});

Deno.test("AgentChannel reports a command that does not exist", () => {
  const channel = new AgentChannel("ghostbench-no-such-command");
  assert.throws(() => channel.exchange("hello"), /cannot start "ghostbench-no-such-command"/);
  channel.close();
});
