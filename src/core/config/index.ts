export * from './schema.js';
export * from './describe.js';
export * from './resolve.js';
