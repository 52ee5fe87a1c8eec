export * from './match-causes.js';
export * from './parse-runbook.js';
