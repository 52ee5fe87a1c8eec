export * from './bus.js';
export * from './backoff.js';
export * from './boundary.js';
export * from './create-bus.js';
export * from './memory-bus.js';
export * from './nats-bus.js';
export * from './subject-match.js';
