/**
 * The shapes of failure rules, shared by the rule engine, the rules file, the HTTP API
 * and the inspector UI (which imports this file with `import type` only).
 */

/**
 * The SMTP step a rule applies to. `connect` is the greeting, `data` the reply to the
 * DATA command before the message is sent, and `end-of-data` the reply after the final
 * dot, when the subject and header fields are known.
 */
export type RuleStage = 'connect' | 'helo' | 'auth' | 'mail' | 'rcpt' | 'data' | 'end-of-data';

export const RULE_STAGES: readonly RuleStage[] = [
  'connect',
  'helo',
  'auth',
  'mail',
  'rcpt',
  'data',
  'end-of-data',
];

/**
 * A text pattern, compared without regard to case. `exact` compares the whole value.
 * `wildcard` takes `*` for any run of characters and `?` for one character. `regex` is an
 * RE2 regular expression that may match anywhere in the value, unless anchored with `^`
 * and `$`.
 */
export interface TextPattern {
  type: 'exact' | 'wildcard' | 'regex';
  value: string;
}

/** A header field whose value must match `value`; any field of that name may match. */
export interface HeaderCondition {
  name: string;
  value: TextPattern;
}

/**
 * The conditions a step must meet for the rule to match. Every condition given must match; a
 * rule with no conditions matches every step of its stage.
 */
export interface RuleConditions {
  /** MAIL FROM, after address cleaning; `<>` is the empty string. */
  sender?: TextPattern;
  /** The RCPT TO of the step at `rcpt`; any accepted recipient at `data` and `end-of-data`. */
  recipient?: TextPattern;
  /** The decoded Subject; only at `end-of-data`. */
  subject?: TextPattern;
  /** Only at `end-of-data`. */
  header?: HeaderCondition;
  /** The client's IP address on the server's socket, such as `127.0.0.1` or `::1`. */
  clientAddress?: TextPattern;
  /** The user name the client logged in with (at `auth`: the user name it tries). */
  authUser?: TextPattern;
}

/**
 * The action of a rule that fires. `reply` sends a failure reply, `delay` waits and then
 * lets the step go on, `drop` closes the connection without a reply, and `accept` lets the
 * step go on and skips the rules after this one. `delayMs` on `reply` and `drop` waits
 * first.
 */
export type RuleAction =
  | { type: 'reply'; code: number; enhancedCode: string; message: string; delayMs?: number }
  | { type: 'delay'; delayMs: number }
  | { type: 'drop'; delayMs?: number }
  | { type: 'accept' };

/**
 * When a matching step makes the rule fire. Counts are of matching steps since the rule
 * was created or its counters were reset.
 *
 * - `always`: every match.
 * - `probability`: each match with probability `probability` (0 to 1).
 * - `every-nth`: the `n`th match, the `2n`th and so on.
 * - `first-n`: the first `n` matches.
 * - `once`: the first match only.
 * - `greylist`: the first attempt of each sender, recipient and client address triple, and
 *   every attempt of that triple until `waitMs` milliseconds have passed since the first.
 *   Later attempts pass.
 */
export type RuleTrigger =
  | { type: 'always' }
  | { type: 'probability'; probability: number }
  | { type: 'every-nth'; n: number }
  | { type: 'first-n'; n: number }
  | { type: 'once' }
  | { type: 'greylist'; waitMs: number };

/** A rule as a client creates or replaces it. */
export interface RuleInput {
  /** Stable id; made from the name when missing. Letters, digits, `.`, `_` and `-`. */
  id?: string;
  name: string;
  /** True by default. */
  enabled?: boolean;
  stage: RuleStage;
  match?: RuleConditions;
  action: RuleAction;
  /** `always` by default. */
  trigger?: RuleTrigger;
}

/** A stored rule. Rules are evaluated in `position` order. */
export interface RuleDefinition {
  id: string;
  name: string;
  enabled: boolean;
  stage: RuleStage;
  match: RuleConditions;
  action: RuleAction;
  trigger: RuleTrigger;
  position: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * The matching state of a rule, kept in memory: it starts from zero when Mailscope starts
 * and when the counters are reset.
 */
export interface RuleCounters {
  /** Steps of the rule's stage whose conditions matched while the rule was enabled. */
  matches: number;
  /** Matches that made the rule fire, so that its action ran. */
  fired: number;
  lastMatchedAt: number | null;
  lastFiredAt: number | null;
  /** Sender, recipient and client triples that a greylist trigger remembers. */
  greylistEntries: number;
}

/** A rule as the API returns it. */
export interface RuleView extends RuleDefinition {
  counters: RuleCounters;
}

/** The pause switch: while paused, MAIL FROM gets `code` and no transaction starts. */
export interface IntakeState {
  paused: boolean;
  /** 421 closes the connection after the reply, 451 keeps it open. */
  code: 421 | 451;
  /** When the intake was paused, or null while it runs. */
  since: number | null;
}
