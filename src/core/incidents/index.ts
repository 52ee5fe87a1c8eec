export * from './signal.js';
export * from './rules.js';
export * from './correlator.js';
