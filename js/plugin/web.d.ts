import type { InitInput } from '../web.js';
import type { ValidationOptions, ValidationPlugin } from './types.js';

export type { ValidationMode, ValidationOptions, ValidationPlugin, ValidationProblem, SegmentContextLike } from './types.js';
export { ANNOTATION_KEY } from './types.js';

export interface WebValidationOptions extends ValidationOptions {
  /**
   * Where to fetch `nudge_edge_bg.wasm` (e.g. `import wasmUrl from 'nudge-edge/nudge_edge_bg.wasm'`
   * with esbuild's file loader); by default next to the package's glue.
   */
  wasm?: InitInput | Promise<InitInput>;
}

/**
 * A Segment plugin that checks each event against the Nudge mappings of `options.config`. The
 * wasm is fetched when the SDK loads the plugin, without delaying any event (block mode holds
 * events tracked before then until it is ready).
 */
export declare function nudgeValidation(options: WebValidationOptions): ValidationPlugin;
