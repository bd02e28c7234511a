export * from './pkg/node/nudge_edge.js';
import * as api from './pkg/node/nudge_edge.js';
/** The same ready functions, as one object (what `import api from 'nudge-edge'` gives in Node). */
export default api;
