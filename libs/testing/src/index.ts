export * from './story.js';
