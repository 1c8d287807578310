export * from './types.js';
export * from './events.js';
export * from './commands.js';
