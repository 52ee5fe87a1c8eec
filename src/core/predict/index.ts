export * from './theil-sen.js';
export * from './holt-winters.js';
export * from './predictors.js';
