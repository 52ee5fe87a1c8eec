export * from './request-snapshot.js';
export * from './response.js';
