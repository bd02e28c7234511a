// Node (ES modules): the same ready functions as `require('nudge-edge')`.
import api from './pkg/node/nudge_edge.js';

export const { createPlanner, Planner, plan, validateEvent, validateConfig, transform, parseSubscription, matchesSubscription } = api;
export default api;
