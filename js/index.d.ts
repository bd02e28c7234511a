export * from './pkg/node/nudge_edge.js';
