export * from './witness-state.js';
export * from './witness.js';
