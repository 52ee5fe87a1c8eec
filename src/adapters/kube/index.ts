export * from './exec-credential.js';
export * from './informer.js';
export * from './json-line-splitter.js';
export * from './kube-client.js';
export * from './kube-config.js';
export * from './kube-names.js';
export * from './token-bucket.js';
