export * from './errors.js';
export * from './merkle.js';
export * from './note.js';
export * from './checkpoint.js';
export * from './cosignature.js';
