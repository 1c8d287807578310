export * from './story.js';
export * from './story-runner.js';
