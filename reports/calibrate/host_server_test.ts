import { calibrateBusyLoop, runHostServer } from "./host_server.ts";

// Real threads on a shared machine: these tests check that the server runs
// and records consistent timestamps, never how fast it is.

Deno.test("runHostServer serves requests on real threads in both structures", async () => {
  const iterationsPerUs = await calibrateBusyLoop();
  if (!(iterationsPerUs > 0)) throw new Error(`${iterationsPerUs} iterations/µs`);
  for (const structure of ["pool", "dispatcher"] as const) {
    const result = await runHostServer({
      structure,
      workers: 2,
      load: 2_000,
      durationNs: 250_000_000,
      warmupNs: 50_000_000,
      seed: 1,
      iterationsPerUs,
      cdfPoints: 10,
    });
    const label = `${structure}: ${JSON.stringify(result.latencyUs.all)}`;
    if (!(result.generated > 200 && result.completed > 100)) throw new Error(label);
    if (result.completed + result.unfinished > result.generated) throw new Error(label);
    // Total latency covers every stage; a Get is at least most of its 10 µs of work.
    const stages = result.stagesUs;
    const sum = stages.ingress.all.mean + stages.dispatch.all.mean + stages.queue.all.mean +
      stages.service.all.mean;
    if (Math.abs(sum - result.latencyUs.all.mean) > 0.01 * result.latencyUs.all.mean) {
      throw new Error(`stages ${sum} vs total ${result.latencyUs.all.mean}`);
    }
    if (!(stages.service.get!.p50 > 5)) throw new Error(label);
    if (result.cdfUs.length === 0 || result.pinned) throw new Error(label);
  }
});

Deno.test("runHostServer refuses to pin a layout the host cannot hold", async () => {
  let message = "";
  try {
    await runHostServer({
      structure: "pool",
      workers: 2,
      load: 1_000,
      durationNs: 1_000_000,
      warmupNs: 0,
      seed: 1,
      iterationsPerUs: 100,
      pin: true,
    });
  } catch (error) {
    message = error instanceof RangeError ? error.message : String(error);
  }
  if (!message.startsWith("Cannot pin a pool server")) throw new Error(message);
});
