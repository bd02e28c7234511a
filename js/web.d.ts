export * from './pkg/web/nudge_edge.js';
export { default } from './pkg/web/nudge_edge.js';
