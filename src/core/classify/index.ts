export * from './event-reasons.js';
export * from './classify.js';
export * from './state-signals.js';
export * from './event-reasons-doc.js';
export * from './log-patterns.js';
