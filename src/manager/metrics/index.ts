export * from './metrics-pipeline.js';
export * from './anomaly-tracker.js';
export * from './slo-evaluator.js';
export * from './pipeline-counters.js';
