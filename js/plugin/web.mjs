// `nudge-edge/plugin` in browsers: the package's wasm is fetched when the SDK loads the plugin,
// not when the page loads, and `load` does not wait for it, so registering the plugin delays
// nothing. The glue is imported on demand too: a bundler that splits chunks keeps it out of
// the page's first script.
import { validationPlugin, ANNOTATION_KEY } from './core.mjs';

export { ANNOTATION_KEY };

/**
 * A Segment plugin that checks each event against the Nudge mappings of `options.config`;
 * `options.wasm` is where to fetch `nudge_edge_bg.wasm` when it does not sit next to the glue.
 */
export function nudgeValidation(options) {
  return validationPlugin(
    options,
    async (config) => {
      const wasm = await import('../web.mjs');
      await wasm.default({ module_or_path: options?.wasm });
      return wasm.createPlanner(config);
    },
    { lazy: true },
  );
}
