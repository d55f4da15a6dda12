/**
 * An external agent for the tests that greets properly, schedules nothing,
 * and misbehaves at its Nth request: `garbage` (a line that is not JSON),
 * `exit` (exits with status 7), `hang` (never answers), `unknown` (an unknown
 * call), `bad-cpu` (opens a transaction on a CPU outside the enclave),
 * `bad-gtid` (commits a thread no TASK_NEW announced), `version` (greets with
 * protocol 2 at its Nth hello: 1 is the load's, 2 the run's), `none` (never
 * misbehaves). It writes a line to stderr at each request.
 *
 * Usage: deno run tests/_agents/misbehaving_agent.ts MODE N [MODEL]
 */

const [mode = "none", nth = "1", model = "centralized"] = Deno.args;
const n = Number(nth);
const encoder = new TextEncoder();
const write = (line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n"));
const log = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n"));

let requests = 0;
let hellos = 0;
let buffer = "";
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  buffer += chunk;
  let newline: number;
  while ((newline = buffer.indexOf("\n")) >= 0) {
    const request = JSON.parse(buffer.slice(0, newline));
    buffer = buffer.slice(newline + 1);
    if (request.type === "hello") {
      hellos++;
      const protocol = mode === "version" && hellos === n ? 2 : 1;
      write(JSON.stringify({ type: "hello", protocol, name: `misbehaving-${mode}`, model }));
      continue;
    }
    requests++;
    log(`request ${requests}: ${request.type}`);
    if (requests < n || mode === "none" || mode === "version") {
      write('{"calls":[],"done":true}');
      continue;
    }
    switch (mode) {
      case "garbage":
        log("about to print garbage");
        write("this is not JSON");
        break;
      case "exit":
        log("exiting on purpose");
        Deno.exit(7);
        break;
      case "hang":
        log("hanging on purpose");
        await new Promise((resolve) => setTimeout(resolve, 3_600_000));
        break;
      case "unknown":
        write('{"calls":[{"call":"reboot"}],"done":true}');
        break;
      case "bad-cpu":
        write('{"calls":[{"call":"open","cpu":4096,"gtid":-1}],"done":true}');
        break;
      case "bad-gtid":
        write('{"calls":[{"call":"open","cpu":1,"gtid":999999},{"call":"commit"}],"done":true}');
        break;
    }
  }
}
