export * from './chat-completions-client.js';
export * from './llm-assistant.js';
export * from './from-config.js';
