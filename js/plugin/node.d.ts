import type { ValidationOptions, ValidationPlugin } from './types.js';

export type { ValidationMode, ValidationOptions, ValidationPlugin, ValidationProblem, SegmentContextLike } from './types.js';
export { ANNOTATION_KEY } from './types.js';

/** A Segment plugin that checks each event against the Nudge mappings of `options.config`; ready when `register` resolves. */
export declare function nudgeValidation(options: ValidationOptions): ValidationPlugin;
