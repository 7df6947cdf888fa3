export * from './spec-catalog.js';
