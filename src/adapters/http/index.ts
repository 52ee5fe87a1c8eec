export * from './http-server.js';
export * from './error-handler.js';
