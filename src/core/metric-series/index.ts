export * from './catalog.js';
export * from './flatten.js';
