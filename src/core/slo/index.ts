export * from './burn-rate.js';
export * from './workload.js';
