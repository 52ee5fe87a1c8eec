export * from './ewma.js';
