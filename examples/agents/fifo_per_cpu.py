#!/usr/bin/env python3
"""A per-CPU FIFO ghOSt agent for ghostbench, in Python (standard library only).

Every enclave CPU has its own agent and its own first-in, first-out queue. A
new thread is given a CPU round robin and stays there: its messages move to
that CPU's queue (associate) and that CPU's agent runs it. A thread that lost
its CPU without choosing to goes to the front of its queue. It is
ghostbench's built-in `fifo-percpu` written against the wire protocol, and
it gives the same results, field for field:

    deno task ghostbench run --policy 'exec:python3 examples/agents/fifo_per_cpu.py'

It trades away balance: with dispersive work one CPU's queue can hold
threads while its neighbours idle, since nothing ever migrates.

The protocol (policies/exec/README.md): JSON Lines on stdin and stdout. The
emulator sends a request per agent pass; the agent answers with a batch of
calls, and either waits for their results (done: false) or ends the pass
(done: true). Print debugging goes to stderr, which ghostbench passes through.
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
        """Queues a call whose result the agent does not need."""
        self.calls.append(call)

    def call(self, **call):
        """Sends the queued calls and this one, and returns this one's result."""
        self.calls.append(call)
        self.write({"calls": self.calls, "done": False})
        self.calls = []
        return self.read()["results"][-1]

    def done(self):
        """Ends the pass (results of these last calls are not needed)."""
        self.write({"calls": self.calls, "done": True})
        self.calls = []


class Task:
    def __init__(self, gtid, home):
        self.gtid = gtid
        self.home = home  # the CPU it belongs to
        self.state = "blocked"  # "blocked" | "queued" | "on_cpu"
        self.cpu = -1  # the CPU it holds, or -1
        self.associated = False  # its messages go to its CPU's queue


class FifoPerCpu:
    def __init__(self, wire):
        self.wire = wire
        self.tasks = {}
        self.queues = {}  # cpu -> deque of gtids
        self.holder = {}  # cpu -> gtid it runs, or -1
        self.cpus = []
        self.next = 0  # round robin over the CPUs

    def start(self, request):
        self.cpus = request["cpus"]
        self.queues = {cpu: collections.deque() for cpu in self.cpus}
        self.holder = {cpu: -1 for cpu in self.cpus}

    def associate(self, task, seqnum):
        """Moves the task's messages to its CPU's queue, once (retried while stale)."""
        if not task.associated:
            task.associated = self.wire.call(
                call="associate", gtid=task.gtid, cpu=task.home, barrier=seqnum)

    def enqueue(self, task, front, agent_cpu):
        task.state = "queued"
        if front:
            self.queues[task.home].appendleft(task.gtid)
        else:
            self.queues[task.home].append(task.gtid)
        if task.home != agent_cpu and self.holder[task.home] == -1:
            self.wire.send(call="ping", cpu=task.home)  # wake that CPU's agent

    # -- messages: each moves one thread between states ------------------

    def message(self, m, agent_cpu):
        gtid, kind = m["gtid"], m["type"]
        if kind == "TASK_NEW":
            home = m["cpu"] if m["on_cpu"] else self.cpus[self.next % len(self.cpus)]
            if not m["on_cpu"]:
                self.next += 1
            task = self.tasks[gtid] = Task(gtid, home)
            self.associate(task, m["seqnum"])
            if m["on_cpu"]:  # found running by an agent that attached late
                self.take(task, m["cpu"])
            elif m["runnable"]:
                self.enqueue(task, False, agent_cpu)
        elif kind == "TASK_WAKEUP":
            task = self.tasks[gtid]
            self.associate(task, m["seqnum"])
            self.expect(task, "blocked")
            self.enqueue(task, False, agent_cpu)
        elif kind == "TASK_BLOCKED":
            task = self.tasks[gtid]
            self.release(task)
            task.state = "blocked"
            self.associate(task, m["seqnum"])
        elif kind in ("TASK_PREEMPT", "TASK_YIELD"):
            task = self.tasks[gtid]
            self.release(task)
            self.enqueue(task, kind == "TASK_PREEMPT", agent_cpu)
        elif kind == "TASK_DEAD":
            self.expect(self.tasks[gtid], "blocked")
            del self.tasks[gtid]
        elif kind == "TASK_DEPARTED":
            task = self.tasks.pop(gtid)
            if task.state == "queued":
                self.queues[task.home].remove(gtid)
            elif task.state == "on_cpu":
                self.release(task)

    def expect(self, task, state):
        if task.state != state:
            raise RuntimeError(f"task {task.gtid} is {task.state}, expected {state}")

    def take(self, task, cpu):
        old = self.holder[cpu]
        if old >= 0 and old != task.gtid and old in self.tasks:
            self.tasks[old].cpu = -1  # replaced: its TASK_PREEMPT is on its way
        self.holder[cpu] = task.gtid
        task.cpu = cpu
        task.state = "on_cpu"

    def release(self, task):
        self.expect(task, "on_cpu")
        cpu, task.cpu = task.cpu, -1
        if cpu >= 0 and self.holder[cpu] == task.gtid:
            self.holder[cpu] = -1

    # -- schedule: this CPU runs the front of its queue ------------------

    def schedule(self, cpu):
        queue = self.queues[cpu]
        if self.holder[cpu] != -1 or not queue:
            return
        gtid = queue.popleft()
        self.wire.send(call="open", cpu=cpu, gtid=gtid)
        result = self.wire.call(call="commit")
        if result["outcomes"][0]["outcome"] == "COMPLETE":
            self.take(self.tasks[gtid], cpu)
        else:
            queue.appendleft(gtid)  # stale or busy: retried on a later pass


def main():
    wire = Wire()
    hello = wire.read()
    wire.write({
        "type": "hello",
        "protocol": PROTOCOL,
        "name": "fifo-per-cpu-py",
        "model": "per-cpu",
        "description": "per-CPU FIFOs in Python, round-robin placement (the built-in fifo-percpu)",
    })
    if hello.get("protocol") != PROTOCOL:
        sys.exit(f"protocol {hello.get('protocol')} is not {PROTOCOL}")
    policy = FifoPerCpu(wire)
    while True:
        request = wire.read()
        if request["type"] == "start":
            policy.start(request)
        for m in request.get("messages", []):
            policy.message(m, request["cpu"])
        if request["type"] == "schedule":
            policy.schedule(request["cpu"])
        wire.done()


if __name__ == "__main__":
    main()
