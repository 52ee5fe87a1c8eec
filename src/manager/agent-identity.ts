/**
 * Agent identity at the manager: an agent id belongs to the cluster it registered for. A register,
 * heartbeat or event that names an agent registered for another cluster is rejected (counted as
 * `identity_mismatch`, dead-lettered, never stored). This is the second line: the first is the NATS
 * server, which lets each agent's credential publish only on its own cluster's subjects
 * (docs/security.md). Events carry no agent id in their payload; an agent names itself in the
 * `aetherius-agent-id` header, and an event without it is judged by its subject alone.
 */
import type { AgentHeartbeat, AgentRegister } from '../contracts/index.js';
import { AGENT_ID_HEADER, MessageRejectedError, type BusMessage } from '../adapters/bus/index.js';
import type { Store } from '../adapters/store/index.js';

/** How long the cluster of an agent is remembered for event checks. */
const CACHE_MS = 30_000;
const CACHE_MAX = 10_000;

function mismatch(agentId: string, registeredFor: string, claimed: string): MessageRejectedError {
  return new MessageRejectedError(
    'identity_mismatch',
    `agent ${JSON.stringify(agentId)} is registered for cluster ${JSON.stringify(registeredFor)}, not ${JSON.stringify(claimed)}; to move it, deregister it first (DELETE /api/v1/agents/{id})`,
  );
}

export class AgentIdentity {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { clusterId: string | undefined; at: number }>();

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * A registration may not move an agent id to another cluster.
   * @throws MessageRejectedError `identity_mismatch`.
   */
  async checkRegister(msg: AgentRegister): Promise<void> {
    const registered = await this.#store.agents.get(msg.agent_id);
    this.#remember(msg.agent_id, registered?.cluster_id ?? msg.cluster_id);
    if (registered && registered.cluster_id !== msg.cluster_id) throw mismatch(msg.agent_id, registered.cluster_id, msg.cluster_id);
  }

  /**
   * For a heartbeat the store did not record: rejects it when the agent is registered for another
   * cluster; returns false when the agent is simply unknown.
   * @throws MessageRejectedError `identity_mismatch`.
   */
  async checkUnrecordedHeartbeat(msg: AgentHeartbeat): Promise<false> {
    const registered = await this.#store.agents.get(msg.agent_id);
    if (registered && registered.cluster_id !== msg.cluster_id) throw mismatch(msg.agent_id, registered.cluster_id, msg.cluster_id);
    return false;
  }

  /**
   * An event that names its agent (header `aetherius-agent-id`) must come from an agent of its cluster.
   * Synchronous (no lookup) for events without the header or whose agent was checked lately.
   * @throws MessageRejectedError `identity_mismatch` (via the promise when a lookup was needed).
   */
  checkEvent(clusterId: string, msg: BusMessage): void | Promise<void> {
    const agentId = msg.headers[AGENT_ID_HEADER];
    if (agentId === undefined) return;
    const cached = this.#cache.get(agentId);
    if (cached && this.#now() - cached.at < CACHE_MS) {
      if (cached.clusterId !== undefined && cached.clusterId !== clusterId) throw mismatch(agentId, cached.clusterId, clusterId);
      return;
    }
    return this.#store.agents.get(agentId).then((registered) => {
      this.#remember(agentId, registered?.cluster_id);
      if (registered && registered.cluster_id !== clusterId) throw mismatch(agentId, registered.cluster_id, clusterId);
    });
  }

  #remember(agentId: string, clusterId: string | undefined): void {
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(agentId, { clusterId, at: this.#now() });
  }
}
