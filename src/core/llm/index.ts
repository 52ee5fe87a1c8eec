export * from './redact.js';
export * from './budget.js';
export * from './usage-ledger.js';
export * from './assistant-prompts.js';
