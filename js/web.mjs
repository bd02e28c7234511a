// Browsers and bundlers: `await init()` (or `initSync(bytes)`) loads nudge_edge_bg.wasm from
// next to the glue, then the functions are ready.
export {
  default,
  initSync,
  createPlanner,
  Planner,
  plan,
  validateEvent,
  validateConfig,
  transform,
  parseSubscription,
  matchesSubscription,
} from './pkg/web/nudge_edge.js';
