export * from './anchor.js';
export * from './ledger-verifier.js';
export * from './export.js';
