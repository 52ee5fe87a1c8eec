export * from './api-routes.js';
export * from './command-routes.js';
export * from './route-registry.js';
export * from './agent-routes.js';
export * from './cluster-routes.js';
export * from './stream-routes.js';
export * from './stream-hub.js';
