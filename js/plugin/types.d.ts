// The plugin's types, for both entries. Structural on purpose: the plugin matches the `Plugin`
// interfaces of analytics.js (@segment/analytics-next) and @segment/analytics-node without
// importing either, so a project needs only the SDK it uses.
import type { Config, FieldError, SegmentEvent } from '../index.js';

/** `warn` lets every event through; `block` drops those no mapping can deliver; `annotate` adds the plan to `context`. */
export type ValidationMode = 'warn' | 'block' | 'annotate';

/** One thing wrong with an event, as the Worker would report it, or with the plugin itself. */
export interface ValidationProblem {
  /** The Worker's error code; `plugin` when the plugin itself could not check (the event went through). */
  code: FieldError['code'] | 'plugin';
  /** The field's key, e.g. `ext_id`; empty when no one field is at fault. */
  field: string;
  /** The mapping's name, e.g. `Identify User`; `null` when no mapping is concerned. */
  mapping: string | null;
  /** The Worker's message, e.g. `User ID (ext_id) is required`. */
  message: string;
  /** The event as the plugin checked it (a copy for events checked once the wasm was ready); `null` for a problem of the plugin alone. */
  event: SegmentEvent | null;
  /** Whether the event was dropped (block mode: no mapping could deliver it). */
  blocked: boolean;
}

export interface ValidationOptions {
  /** The Nudge destination's configuration: the same mappings, subscriptions and field rules as the Worker. */
  config: Config;
  /** `warn` by default. */
  mode?: ValidationMode;
  /** Gets each distinct problem once, instead of a `console.warn`. Errors it throws are ignored. */
  onProblem?: (problem: ValidationProblem) => void;
}

/** What each event method is given: a Segment SDK's context. */
export interface SegmentContextLike {
  event: object;
}

type Hook = <C extends SegmentContextLike>(ctx: C) => C | Promise<C>;

/** A Segment `before` plugin, accepted by `analytics.register()` in analytics.js and analytics-node. */
export interface ValidationPlugin {
  name: string;
  type: 'before';
  version: string;
  /** Whether the planner is ready (in browsers, once the wasm has loaded). */
  isLoaded(): boolean;
  load(ctx: unknown, instance: unknown): Promise<void>;
  track: Hook;
  identify: Hook;
  page: Hook;
  screen: Hook;
  group: Hook;
  alias: Hook;
}

/** The key on `event.context` under which `annotate` mode puts the results and requests: `nudgeEdge`. */
export declare const ANNOTATION_KEY: 'nudgeEdge';
