export * from './command-policy.js';
export * from './command-grammar.js';
export * from './approval-token.js';
export * from './approval-claims.js';
export * from './replay-guard.js';
export * from './token-bucket.js';
export * from './truncate-output.js';
export * from './fit-result.js';
