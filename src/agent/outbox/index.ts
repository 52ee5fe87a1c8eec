export * from './outbox.js';
export * from './outbox-item.js';
export * from './event-batch-publisher.js';
