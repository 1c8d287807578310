export * from './clock.js';
export * from './config.js';
export * from './roles.js';
export * from './token.js';
