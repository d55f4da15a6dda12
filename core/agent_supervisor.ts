/**
 * Agent lifecycle: in-place upgrade, crash (with or without a supervisor
 * that restarts the agent), and policy hot-swap, as ghost.md describes them.
 *
 * - upgrade: the old agent closes its enclave handle and exits; a new agent
 *   process (the same policy, a fresh instance) starts after the cost
 *   profile's `agentStartup`, attaches once the old one's threads are gone,
 *   and discovers every thread from the status words before its first
 *   decision (`discoveryPerThread` each). Running threads keep running
 *   meanwhile; nothing new is scheduled.
 * - crash: the agent process dies (an injected fault, or any exception in
 *   policy code). With a restart delay the supervisor starts a fresh agent
 *   after it, through the upgrade path; without one the enclave has no
 *   agent, and its watchdog (`runnableTimeout`, armed now if it waited for
 *   a crash) destroys it and moves every thread to CFS.
 * - swap: an upgrade to another policy.
 *
 * Each event's blackout runs from the old agent's exit until a new agent is
 * ready to schedule (discovery done), or until the enclave was destroyed
 * and its threads handed to CFS. Events may overlap: the first agent ready
 * ends every blackout still open, and an upgrade or swap while a restart or
 * another upgrade is pending replaces that pending start (the later event
 * wins). Every scheduled event gets a record; one that cannot take effect
 * (a crash with no agent running, any event after the watchdog destroyed
 * the enclave) is `skipped`, with the reason.
 *
 * @module
 */

import { AgentProcess } from "./agent_process.ts";
import { formatDuration } from "./units.ts";
import type { Policy } from "./policy.ts";
import type { Enclave } from "./enclave.ts";
import type { Kernel } from "./kernel.ts";

/** The kinds of lifecycle event. */
export type LifecycleKind = "upgrade" | "crash" | "swap" | "reboot";

/** A lifecycle event to inject: what, when and (swap) to which policy. */
export interface LifecycleEvent {
  /** What happens. */
  kind: LifecycleKind;
  /** When, ns of virtual time. */
  atNs: number;
  /** The policy swapped in (swap only). */
  policy?: string;
}

/** What happened at one lifecycle event. */
export interface EventRecord {
  /** The event kind. */
  kind: LifecycleKind;
  /** When it happened, ns. */
  atNs: number;
  /** Injected by the run, or a crash of policy code. */
  cause: "injected" | "policy error";
  /** Whether the event took effect, or could not (see `reason`). */
  status: "applied" | "skipped";
  /** Why a skipped event could not take effect; null when applied. */
  reason: string | null;
  /** The crash's error message, if any. */
  error: string | null;
  /** When no agent could schedule any more, ns. */
  blackoutStartNs: number;
  /**
   * When an agent (or CFS, after the watchdog) could schedule again, ns; -1:
   * never. A skipped event's blackout is empty (end = start).
   */
  blackoutEndNs: number;
  /** Whether the watchdog handed the threads to CFS. */
  fellBackToCfs: boolean;
  /** The policy running after the event. */
  policyAfter: string;
}

/** Options of the supervisor. */
export interface SupervisorOptions {
  /** Name of the policy to start with. */
  policy: string;
  /** Creates a fresh instance of a policy by name. */
  makePolicy: (name: string) => Policy;
  /** Restart a crashed agent after this delay, ns; null: no supervisor restart. */
  restartDelayNs: number | null;
  /** CPU of the global agent (centralized policies). */
  globalCpu: number;
  /**
   * Called when policy code kills an agent process (a crash no event
   * injected), with the error (its stack, or an external agent's stderr).
   * @default none
   */
  onPolicyError?: (error: unknown, policy: string) => void;
}

/** Owns the agent process of an enclave across upgrades, crashes and swaps. */
export class AgentSupervisor {
  /** What happened at each event. */
  readonly records: EventRecord[] = [];
  readonly #kernel: Kernel;
  readonly #enclave: Enclave;
  readonly #options: SupervisorOptions;
  readonly #kindEvent: number;
  readonly #kindLaunch: number;
  readonly #pending: LifecycleEvent[] = [];
  /** The record of each scheduled event, by its index in `#pending`, once it happened. */
  readonly #eventRecords: (EventRecord | null)[] = [];
  readonly #launches: { policy: string }[] = [];
  /** The index in `#launches` of the agent start still to come, or -1. */
  #pendingLaunch = -1;
  #policy: string;
  #current: AgentProcess | null = null;
  /** Every process started, in order (for counters). */
  readonly processes: AgentProcess[] = [];

  /** Creates the supervisor; `start` launches the first agent. */
  constructor(kernel: Kernel, enclave: Enclave, options: SupervisorOptions) {
    this.#kernel = kernel;
    this.#enclave = enclave;
    this.#options = options;
    this.#policy = options.policy;
    this.#kindEvent = kernel.engine.register(`supervisor${enclave.id}.event`, (index) => {
      this.#apply(index);
    });
    this.#kindLaunch = kernel.engine.register(`supervisor${enclave.id}.launch`, (index) => {
      this.#launch(index);
    });
  }

  /** The agent process holding the enclave now, or null. */
  get current(): AgentProcess | null {
    return this.#current;
  }

  /** Starts the first agent (no discovery: the enclave is empty). */
  start(): void {
    this.#current = this.#spawn(this.#policy, false);
  }

  /**
   * Schedules a lifecycle event (reboot is the run's business, not the
   * agent's) and returns its index for {@link eventRecord}.
   */
  schedule(event: LifecycleEvent): number {
    if (event.kind === "reboot") throw new RangeError("A reboot is not an agent event");
    this.#pending.push(event);
    this.#eventRecords.push(null);
    const index = this.#pending.length - 1;
    this.#kernel.engine.at(event.atNs, this.#kindEvent, index);
    return index;
  }

  /** The record of the event `schedule` numbered `index`, or null before it happened. */
  eventRecord(index: number): EventRecord | null {
    return this.#eventRecords[index] ?? null;
  }

  /** Fills in blackouts still open at the end of the run. */
  finish(): void {
    const destroyedAt = this.#enclave.stats.destroyedAt;
    for (const record of this.records) {
      if (record.blackoutEndNs >= 0) continue;
      if (destroyedAt >= 0) {
        record.blackoutEndNs = destroyedAt;
        record.fellBackToCfs = true;
        record.policyAfter = "cfs";
      }
    }
  }

  #record(event: LifecycleEvent, cause: EventRecord["cause"], error: unknown): EventRecord {
    const now = this.#kernel.engine.now;
    const record: EventRecord = {
      kind: event.kind,
      atNs: now,
      cause,
      status: "applied",
      reason: null,
      error: error === null ? null : error instanceof Error ? error.message : String(error),
      blackoutStartNs: now,
      blackoutEndNs: -1,
      fellBackToCfs: false,
      policyAfter: this.#policy,
    };
    this.records.push(record);
    return record;
  }

  #apply(index: number): void {
    const event = this.#pending[index]!;
    const record = this.#record(event, "injected", null);
    this.#eventRecords[index] = record;
    const destroyedAt = this.#enclave.stats.destroyedAt;
    if (this.#enclave.destroyed) {
      this.#skip(
        record,
        `no agent: the watchdog destroyed the enclave at ${
          formatDuration(destroyedAt)
        } and moved its threads to CFS`,
      );
      record.policyAfter = "cfs";
      return;
    }
    const old = this.#current;
    if (event.kind === "crash") {
      if (old === null) {
        this.#skip(record, `no agent to crash: ${this.#whyNoAgent(record)}`);
        return;
      }
      this.#current = null;
      record.error = "injected crash";
      old.crash(new Error(record.error));
      this.#restartAfterCrash();
      return;
    }
    if (event.kind === "swap") this.#policy = event.policy!;
    record.policyAfter = this.#policy;
    this.#current = null;
    old?.shutdown();
    this.#queueLaunch(this.#policy, this.#kernel.engine.now + this.#kernel.costs.agentStartup);
  }

  /** Marks an event that could not take effect: no blackout of its own. */
  #skip(record: EventRecord, reason: string): void {
    record.status = "skipped";
    record.reason = reason;
    record.blackoutEndNs = record.blackoutStartNs;
  }

  /** Why no agent runs now: the first event that left none, and whether one is starting. */
  #whyNoAgent(current: EventRecord): string {
    const open = this.records.find((r) =>
      r !== current && r.status === "applied" && r.blackoutEndNs < 0
    );
    const since = open === undefined
      ? ""
      : ` since the ${open.kind} at ${formatDuration(open.atNs)}`;
    return this.#pendingLaunch >= 0 ? `none running${since}, one starting` : `none${since}`;
  }

  #restartAfterCrash(): void {
    const delay = this.#options.restartDelayNs;
    if (delay === null) {
      // The watchdog decides: it watches from now on.
      this.#enclave.armWatchdog();
      return;
    }
    const at = this.#kernel.engine.now + delay + this.#kernel.costs.agentStartup;
    this.#queueLaunch(this.#policy, at);
  }

  /** Starts an agent at `at`, in place of any start still pending: the later event wins. */
  #queueLaunch(policy: string, at: number): void {
    this.#launches.push({ policy });
    this.#pendingLaunch = this.#launches.length - 1;
    this.#kernel.engine.at(at, this.#kindLaunch, this.#pendingLaunch);
  }

  #launch(index: number): void {
    if (index !== this.#pendingLaunch || this.#enclave.destroyed) return; // superseded
    const previous = this.processes.at(-1);
    if (this.#enclave.attached || (previous !== undefined && previous.threadsAlive)) {
      // Only one agent may hold the enclave: wait until the old one is gone.
      this.#kernel.engine.after(1_000, this.#kindLaunch, index);
      return;
    }
    if (this.#current !== null) throw new Error("An agent start found an agent running");
    this.#pendingLaunch = -1;
    this.#current = this.#spawn(this.#launches[index]!.policy, true);
  }

  #spawn(policy: string, discover: boolean): AgentProcess {
    const process: AgentProcess = new AgentProcess(
      this.#kernel,
      this.#enclave,
      this.#options.makePolicy(policy),
      {
        globalCpu: this.#options.globalCpu,
        discover,
        onReady: () => {
          // Ends every blackout still open: overlapping events end together.
          for (const record of this.records) {
            if (record.blackoutEndNs >= 0) continue;
            record.blackoutEndNs = this.#kernel.engine.now;
            record.policyAfter = policy;
          }
        },
        onExit: (exited, error) => this.#onExit(exited, error),
      },
    );
    this.processes.push(process);
    process.start();
    return process;
  }

  #onExit(process: AgentProcess, error: unknown): void {
    if (process !== this.#current || error === null || this.#enclave.destroyed) return;
    // A crash the run did not inject: policy code threw.
    this.#current = null;
    this.#options.onPolicyError?.(error, this.#policy);
    this.#record({ kind: "crash", atNs: this.#kernel.engine.now }, "policy error", error);
    this.#restartAfterCrash();
  }
}
