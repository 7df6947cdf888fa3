export * from './builtin-params.schemas.js';
export * from './catalog.js';
export * from './catalog.loader.js';
export * from './catalog.schema.js';
export * from './submission.resolver.js';
export * from './argv.renderer.js';
