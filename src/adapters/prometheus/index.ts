export * from './prometheus-client.js';
export * from './remote-write.js';
export * from './remote-write-queue.js';
export * from './snappy.js';
export * from './from-config.js';
