export * from './agent-service.js';
export * from './event-watcher.js';
export * from './event-builder.js';
export * from './agent-telemetry.js';
export * from './agent-runtime.js';
export type { LogScanReport } from './log-scanner.js';
