/**
 * Agents in any language: `--policy 'exec:COMMAND ARGS...'` runs a ghOSt
 * agent as a child process that speaks the JSON Lines protocol of README.md
 * (beside this module) over its stdin and stdout. `ExecPolicy` is the
 * policy the emulator runs for it; `AgentChannel` the synchronous channel to
 * the process; the protocol module encodes messages and checks the agent's
 * lines. Load one by its source with `loadPolicySource` (policies/sources.ts).
 *
 * @module
 */

export { AgentChannel, type AgentChannelOptions, AgentError } from "./agent_channel.ts";
export { ExecPolicy, type ExecPolicyOptions } from "./exec_policy.ts";
export {
  type AgentBatch,
  type AgentCall,
  type AgentHello,
  encodeMessage,
  parseBatch,
  parseHello,
  PROTOCOL_VERSION,
  ProtocolError,
} from "./protocol.ts";
