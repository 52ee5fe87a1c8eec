export * from './outbox.js';
export * from './outbox-item.js';
