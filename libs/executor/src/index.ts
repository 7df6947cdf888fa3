export * from './executor.js';
export * from './runner-launch.builder.js';
