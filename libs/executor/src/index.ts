export * from './executor.js';
export * from './local/local.executor.js';
