export * from './load-rules.js';
