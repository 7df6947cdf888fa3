export * from './attempt.observer.js';
export * from './final-recorded.patch.js';
export * from './job-manifest.builder.js';
export * from './kubernetes-errors.js';
export * from './kubernetes.executor.js';
export * from './kubernetes.labels.js';
export * from './pod-waiting.classifier.js';
