export * from './executor.js';
export * from './local/local.executor.js';
export * from './runner-launch.builder.js';
