export * from './learning.js';
export * from './fingerprint.js';
export * from './seed.js';
