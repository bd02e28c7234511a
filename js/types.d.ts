/** A Segment event (Segment Spec); any other key is allowed and reachable by mappings. */
export interface SegmentEvent {
  type?: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias' | string;
  userId?: string | number | null;
  anonymousId?: string | null;
  messageId?: string;
  timestamp?: string | number;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context?: Record<string, unknown>;
  groupId?: string;
  previousId?: string;
  integrations?: Record<string, boolean | Record<string, unknown>>;
  [key: string]: unknown;
}

/** One mapping of a destination: which events, which Nudge action, how fields are filled. */
export interface MappingConfig {
  name?: string;
  /** Segment FQL, e.g. `type = "track"`; defaults to the action's preset subscription. */
  subscription?: string;
  action: 'identifyUser' | 'trackEvent';
  /** Field mapping (mapping-kit directives); left out: the action's default mapping. */
  mapping?: Record<string, unknown>;
  enabled?: boolean;
  enable_batching?: boolean;
  batch_size?: number;
}

/** A destination configuration: Nudge's settings and the mappings (docs/configuration.md). */
export interface Config {
  settings: { apikey: string; endpoint?: string };
  /** At most 50; without it the identify and track presets apply. */
  mappings?: MappingConfig[];
}

export interface FieldError {
  /** The field's key, e.g. `ext_id`; empty when the event as a whole is unusable. */
  field: string;
  code: 'required' | 'type' | 'format' | 'mapping' | 'event' | 'rejected' | 'unavailable';
  /** Names the field's label, e.g. `User ID (ext_id) is required`. */
  message: string;
}

export interface EventResult {
  index: number;
  mapping: string | null;
  action: 'identifyUser' | 'trackEvent' | null;
  status: 'sent' | 'invalid' | 'unmatched' | 'skipped' | 'failed';
  errors?: FieldError[];
}

export interface NudgeRequest {
  action: 'identifyUser' | 'trackEvent';
  mapping: string;
  method: 'PUT' | 'POST';
  url: string;
  headers: { apikey: string; p: string; 'content-type': string };
  body: unknown;
  /** Indexes of the events this request carries. */
  events: number[];
}

export interface Plan {
  requests: NudgeRequest[];
  results: EventResult[];
}

export interface EventValidation {
  valid: boolean;
  results: EventResult[];
}

export interface ConfigError {
  /** JSON pointer into the configuration, e.g. `/mappings/0/subscription`. */
  path: string;
  message: string;
}

export interface ConfigValidation {
  valid: boolean;
  errors: ConfigError[];
}

export type SubscriptionCondition =
  | SubscriptionGroup
  | {
      type: 'event-type' | 'event' | 'name' | 'userId' | 'event-property' | 'event-trait' | 'event-context';
      name?: string;
      operator: string;
      /** `null` where Segment's value is NaN (`properties.x = -`). */
      value?: string | number | boolean | null;
    };

export interface SubscriptionGroup {
  type: 'group';
  operator: 'and' | 'or';
  /**
   * `null` for a group whose only conditions were `contains()`/`match()` on `type` (Segment's
   * `undefined`): no event that reaches it matches.
   */
  children: (SubscriptionCondition | null)[];
}

/** What is wrong with a subscription: stable names (the message is for people). */
export type SubscriptionErrorCode =
  | 'empty'
  | 'unterminated_string'
  | 'unterminated_escape'
  | 'malformed_number'
  | 'malformed_field'
  | 'unexpected_character'
  | 'unknown_field'
  | 'expected_condition'
  | 'expected_operator'
  | 'expected_value'
  | 'expected_field'
  | 'expected_joiner'
  | 'expected_punctuation'
  | 'invalid_negation'
  | 'untestable_type'
  | 'too_deep';

/**
 * Thrown for a bad configuration (`errors`), mapping (`path`) or subscription (`position`, the
 * 1-based column in characters, and `code`).
 */
export interface NudgeEdgeError extends Error {
  errors?: ConfigError[];
  path?: string;
  position?: number;
  code?: SubscriptionErrorCode;
}
