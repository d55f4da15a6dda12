/**
 * What an agent channel and its worker share: the layout of the control
 * words and the states of the exchange, and the worker's start message.
 *
 * @module
 */

/** Index of the exchange's state in the control words. */
export const CTRL_STATE = 0;
/** Index of the byte length of the text in the data buffer. */
export const CTRL_LENGTH = 1;
/** Index of the agent process's pid (0 until it started). */
export const CTRL_PID = 2;
/** Index of the byte length of the stderr tail. */
export const CTRL_TAIL_LENGTH = 3;
/** Index of the stderr tail's sequence lock (odd while the worker writes it). */
export const CTRL_TAIL_SEQ = 4;
/** Number of control words. */
export const CTRL_WORDS = 8;

/** The worker is starting the agent process. */
export const STATE_STARTING = 0;
/** The agent is ready for a request. */
export const STATE_IDLE = 1;
/** The emulation thread has put a request in the data buffer. */
export const STATE_REQUEST = 2;
/** The worker has put the agent's reply line in the data buffer. */
export const STATE_REPLY = 3;
/** The agent failed (exited, could not start): the data buffer says why. */
export const STATE_FAILED = 4;
/** The emulation thread closed the channel (and killed the process). */
export const STATE_CLOSED = 5;
/** The worker has passed the rest of the agent's stderr on and stopped. */
export const STATE_DRAINED = 6;

/** Lines of the agent's stderr kept for crash reports. */
export const TAIL_LINES = 20;

/** The message that starts the worker. */
export interface AgentWorkerInit {
  /** The command to run. */
  command: string;
  /** Its arguments. */
  args: readonly string[];
  /** Directory it runs in. */
  cwd: string;
  /** Prefix of each line of the agent's stderr passed through. */
  prefix: string;
  /** Control words ({@link CTRL_WORDS} Int32 values). */
  control: SharedArrayBuffer;
  /** The request and reply text (growable). */
  data: SharedArrayBuffer;
  /** The last lines of the agent's stderr. */
  tail: SharedArrayBuffer;
}
