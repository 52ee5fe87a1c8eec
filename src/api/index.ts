export * from './api-routes.js';
export * from './command-routes.js';
export * from './route-registry.js';
