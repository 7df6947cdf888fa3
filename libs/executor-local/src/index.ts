export * from './local.executor.js';
