export * from './errors.js';
export * from './common.js';
export * from './subjects.js';
export * from './agent-messages.js';
export * from './validate.js';
