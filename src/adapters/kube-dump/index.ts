export * from './container-log-collector.js';
export * from './dump-input-error.js';
export * from './kube-objects-from-json.js';
export * from './newest-timestamp.js';
export * from './parse-kubectl-output.js';
export * from './read-cluster-dump.js';
