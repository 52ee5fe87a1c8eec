export * from './reasoning-service.js';
export * from './context-gatherer.js';
