/**
 * When an agent counts as gone: it missed three heartbeats of its own interval (as it registered it).
 * One rule for the manager's offline sweep and the API's "is there a live agent to send this to".
 */
import { parseDuration } from '../contracts/index.js';

export const MISSED_HEARTBEATS = 3;
export const DEFAULT_HEARTBEAT_MS = 30_000;

/** The heartbeat interval an agent registered (`config.heartbeat_interval`), in ms; 30 s when absent or nonsense. */
export function heartbeatIntervalMs(agent: { config: Record<string, unknown> }): number {
  const text = agent.config['heartbeat_interval'];
  if (typeof text !== 'string') return DEFAULT_HEARTBEAT_MS;
  try {
    const ms = parseDuration(text);
    return ms > 0 ? ms : DEFAULT_HEARTBEAT_MS;
  } catch {
    return DEFAULT_HEARTBEAT_MS;
  }
}

/** True when the agent reported (heartbeat, else registration) within MISSED_HEARTBEATS of its intervals. */
export function isAgentLive(agent: { status: string; config: Record<string, unknown>; last_heartbeat_at: string | null; registered_at: string }, now: number): boolean {
  if (agent.status !== 'online') return false;
  const last = Date.parse(agent.last_heartbeat_at ?? agent.registered_at);
  return Number.isFinite(last) && now - last <= MISSED_HEARTBEATS * heartbeatIntervalMs(agent);
}
