// `nudge-edge/plugin` in Node: the wasm is ready on import, so the plugin is ready when
// `analytics.register(plugin)` resolves and checks the first event like every other.
import { createPlanner } from '../index.mjs';
import { validationPlugin, ANNOTATION_KEY } from './core.mjs';

export { ANNOTATION_KEY };

/** A Segment plugin that checks each event against the Nudge mappings of `options.config`. */
export function nudgeValidation(options) {
  return validationPlugin(options, createPlanner, { lazy: false });
}
