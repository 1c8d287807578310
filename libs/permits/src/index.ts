export * from './types.js';
export * from './events.js';
export * from './commands.js';
export * from './errors.js';
export * from './streams.js';
export * from './time.js';
export * from './permit.js';
export * from './destination.js';
export { assertNever } from './validation.js';
