export * from './memory-job.store.js';
