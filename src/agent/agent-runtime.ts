/**
 * How the agent process should be run. V8 sizes its heap for throughput, not for a 128 MB container:
 * left alone, the young generation grows to 32 MB and the old generation keeps garbage after every
 * burst, so a 5,000-pod agent sits near 180 MB. These flags bound both; the deployment sets them as
 * NODE_OPTIONS (docs/agent.md) and `aetherius bench agent` measures the agent with them.
 */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=80';
