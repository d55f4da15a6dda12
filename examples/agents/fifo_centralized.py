#!/usr/bin/env python3
"""A centralized FIFO ghOSt agent for ghostbench, in Python (standard library only).

One global agent keeps every runnable thread in one first-in, first-out queue
and commits the oldest to each idle CPU, all CPUs in one group commit. It is
ghostbench's built-in `fifo-centralized` (without a time slice) written
against the wire protocol, and it gives the same results, field for field:

    deno task ghostbench run --policy 'exec:python3 examples/agents/fifo_centralized.py'

It trades away what the built-in does: a long request holds its CPU to the
end while short ones wait behind it, and the global agent costs a CPU.

The protocol (policies/exec/README.md): JSON Lines on stdin and stdout. The
emulator sends a request per agent pass; the agent answers with a batch of
calls, and either waits for their results (done: false) or ends the pass
(done: true), the results then coming with the next request. This agent
never waits: one line in, one line out per pass. Print debugging goes to
stderr, which ghostbench passes through.
"""

import collections
import json
import sys

PROTOCOL = 1


class Wire:
    """The agent's end of the protocol: requests in, batches of calls out."""

    def __init__(self):
        self.calls = []

    def read(self):
        line = sys.stdin.readline()
        if not line:
            sys.exit(0)  # the emulator is done with us
        return json.loads(line)

    def write(self, obj):
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()

    def send(self, **call):
        """Queues a call, sent when the pass ends."""
        self.calls.append(call)

    def done(self):
        """Ends the pass: the results of these calls come with the next request."""
        self.write({"calls": self.calls, "done": True})
        self.calls = []


class CpuSet:
    """The idle CPUs, in the order ghostbench's CpuSet keeps them (swap on remove)."""

    def __init__(self, cpus):
        self.items = list(cpus)

    def add(self, cpu):
        if cpu not in self.items:
            self.items.append(cpu)

    def remove(self, cpu):
        if cpu in self.items:
            i = self.items.index(cpu)
            self.items[i] = self.items[-1]
            self.items.pop()


class FifoCentralized:
    def __init__(self, wire):
        self.wire = wire
        self.queue = collections.deque()  # gtids of runnable threads, oldest first
        self.state = {}  # gtid -> "blocked" | "queued" | "on_cpu"
        self.cpu_of = {}  # gtid -> the CPU it holds, or -1
        self.holder = {}  # cpu -> gtid it runs, or -1
        self.idle = None

    def start(self, request):
        self.holder = {cpu: -1 for cpu in request["cpus"]}
        self.idle = CpuSet(request["cpus"])

    # -- messages: each moves one thread between states ------------------

    def message(self, m):
        gtid, kind = m["gtid"], m["type"]
        if kind == "TASK_NEW":
            if m["on_cpu"]:  # found running by an agent that attached late
                self.take(gtid, m["cpu"])
            elif m["runnable"]:
                self.state[gtid] = "queued"
                self.queue.append(gtid)
            else:
                self.state[gtid] = "blocked"
        elif kind == "TASK_WAKEUP":
            self.expect(gtid, "blocked")
            self.state[gtid] = "queued"
            self.queue.append(gtid)
        elif kind == "TASK_BLOCKED":
            self.release(gtid)
            self.state[gtid] = "blocked"
        elif kind in ("TASK_PREEMPT", "TASK_YIELD"):
            self.release(gtid)
            self.state[gtid] = "queued"
            if kind == "TASK_PREEMPT" and m["by_kernel"]:
                self.queue.appendleft(gtid)  # it did not choose to stop: first
            else:
                self.queue.append(gtid)
        elif kind == "TASK_DEAD":
            self.expect(gtid, "blocked")
            del self.state[gtid]
        elif kind == "TASK_DEPARTED":
            if self.state[gtid] == "queued":
                self.queue.remove(gtid)
            elif self.state[gtid] == "on_cpu":
                self.release(gtid)
            del self.state[gtid]

    def expect(self, gtid, state):
        if self.state.get(gtid) != state:
            raise RuntimeError(f"task {gtid} is {self.state.get(gtid)}, expected {state}")

    def take(self, gtid, cpu):
        old = self.holder[cpu]
        if old >= 0 and old != gtid:
            self.cpu_of[old] = -1  # replaced: its TASK_PREEMPT is on its way
        self.holder[cpu] = gtid
        self.idle.remove(cpu)
        self.cpu_of[gtid] = cpu
        self.state[gtid] = "on_cpu"

    def release(self, gtid):
        self.expect(gtid, "on_cpu")
        cpu = self.cpu_of.get(gtid, -1)
        self.cpu_of[gtid] = -1
        if cpu >= 0 and self.holder[cpu] == gtid:
            self.holder[cpu] = -1
            self.idle.add(cpu)

    # -- schedule: fill the idle CPUs from the front of the queue --------

    def schedule(self, request):
        available = set(request["available"])
        opened = 0
        for cpu in list(self.idle.items):
            if not self.queue:
                break
            if cpu == request["global_cpu"] or cpu not in available:
                continue
            self.wire.send(call="open", cpu=cpu, gtid=self.queue.popleft())
            opened += 1
        if opened > 0:
            # One group commit. Its outcomes come with the next request
            # (the pass ends now): nothing reads our state before then.
            self.wire.send(call="commit")

    def results(self, results):
        """The results of the last pass's calls: the commit's outcomes, if it committed."""
        if not results or results[-1] is None:
            return
        # Failed ones go back to the front, in their original order.
        for o in reversed(results[-1]["outcomes"]):
            if o["outcome"] == "COMPLETE":
                self.take(o["gtid"], o["cpu"])
            else:
                self.queue.appendleft(o["gtid"])


def main():
    wire = Wire()
    hello = wire.read()
    wire.write({
        "type": "hello",
        "protocol": PROTOCOL,
        "name": "fifo-centralized-py",
        "model": "centralized",
        "description": "one global FIFO in Python, group commits (the built-in fifo-centralized)",
        "defer_messages": True,  # it makes no calls while reading messages
    })
    if hello.get("protocol") != PROTOCOL:
        sys.exit(f"protocol {hello.get('protocol')} is not {PROTOCOL}")
    policy = FifoCentralized(wire)
    while True:
        request = wire.read()
        if request["type"] == "start":
            policy.start(request)
        policy.results(request.get("results"))
        for m in request.get("messages", []):
            policy.message(m)
        if request["type"] == "schedule":
            policy.schedule(request)
        wire.done()


if __name__ == "__main__":
    main()
