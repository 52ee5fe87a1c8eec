export * from './compute-agent-metrics.js';
export * from './pod-resources.js';
export * from './split-metrics.js';
