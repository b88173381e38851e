import type { RuleRef } from '../delivery/rule-hooks.js';
import type { HeaderField } from '../message/header.js';
import { loadLibmime } from '../message/mail-libraries.js';
import { compilePattern, type PatternTest } from './pattern.js';
import type {
  RuleAction,
  RuleCounters,
  RuleDefinition,
  RuleStage,
  RuleTrigger,
  RuleView,
} from './types.js';

/** Greylisting triples remembered per rule; the oldest is forgotten beyond this. */
export const MAX_GREYLIST_ENTRIES = 10_000;

/** The values of one SMTP step that rule conditions compare. */
export interface StepContext {
  stage: RuleStage;
  clientAddress: string;
  authUser: string | null;
  /** MAIL FROM after cleaning, from the `mail` stage on. */
  sender?: string;
  /** The recipient of this RCPT TO at `rcpt`. */
  recipient?: string;
  /** Accepted recipients at `data` and `end-of-data`. */
  recipients?: readonly string[];
  /** Header fields at `end-of-data`. */
  headers?: readonly HeaderField[];
}

/** A rule that fired, and the action to run. */
export interface RuleDecision {
  rule: RuleRef;
  action: RuleAction;
}

interface CompiledRule {
  definition: RuleDefinition;
  conditions: Array<(context: StepContext) => boolean>;
  counters: RuleCounters;
  /** First attempt time of each greylisting triple, oldest first. */
  greylist: Map<string, number>;
}

export interface RuleEngineOptions {
  now?: () => number;
  /** Returns a number from 0 (inclusive) to 1, for probability triggers. */
  random?: () => number;
  /**
   * Called for a stored rule whose pattern no longer compiles, such as one saved before the
   * pattern size limit. The rule then never matches.
   */
  onInvalidRule?: (id: string, error: Error) => void;
}

/**
 * Evaluates the failure rules for each SMTP step and keeps their counters in memory.
 *
 * The enabled rules of the step's stage are tried in position order. A rule whose
 * conditions match counts a match, and its trigger decides whether it fires. The first rule
 * that fires decides the step; a rule that matches but does not fire lets the next one
 * try.
 */
export class RuleEngine {
  private rules: CompiledRule[] = [];
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly onInvalidRule: (id: string, error: Error) => void;

  constructor(options: RuleEngineOptions = {}) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.onInvalidRule = options.onInvalidRule ?? (() => {});
  }

  /**
   * Replaces the rule list. A rule whose definition is unchanged keeps its counters and
   * greylisting state; a new or changed rule starts from zero.
   */
  setRules(definitions: readonly RuleDefinition[]): void {
    const previous = new Map(this.rules.map((rule) => [rule.definition.id, rule]));
    this.rules = [...definitions]
      .sort((a, b) => a.position - b.position)
      .map((definition) => {
        const old = previous.get(definition.id);
        if (old !== undefined && sameBehaviour(old.definition, definition)) {
          return { ...old, definition };
        }
        return this.compileStoredRule(definition);
      });
  }

  private compileStoredRule(definition: RuleDefinition): CompiledRule {
    try {
      return compileRule(definition);
    } catch (error) {
      this.onInvalidRule(definition.id, error as Error);
      return {
        ...compileRule({ ...definition, match: {} }),
        definition,
        conditions: [() => false],
      };
    }
  }

  /** Returns every rule with its counters, in position order. */
  list(): RuleView[] {
    return this.rules.map((rule) => ({
      ...rule.definition,
      counters: { ...rule.counters, greylistEntries: rule.greylist.size },
    }));
  }

  /** Sets a rule's counters to zero and clears its greylisting triples. */
  resetCounters(id: string): boolean {
    const rule = this.rules.find((candidate) => candidate.definition.id === id);
    if (rule === undefined) return false;
    rule.counters = emptyCounters();
    rule.greylist.clear();
    return true;
  }

  /** Returns the rule that decides the step, or null when no rule fires. */
  evaluate(context: StepContext): RuleDecision | null {
    for (const rule of this.rules) {
      const { definition } = rule;
      if (!definition.enabled || definition.stage !== context.stage) continue;
      if (!rule.conditions.every((condition) => condition(context))) continue;

      const at = this.now();
      rule.counters.matches += 1;
      rule.counters.lastMatchedAt = at;
      if (!this.fires(rule, context, at)) continue;

      rule.counters.fired += 1;
      rule.counters.lastFiredAt = at;
      return { rule: { id: definition.id, name: definition.name }, action: definition.action };
    }
    return null;
  }

  private fires(rule: CompiledRule, context: StepContext, at: number): boolean {
    const trigger: RuleTrigger = rule.definition.trigger;
    const matches = rule.counters.matches;
    switch (trigger.type) {
      case 'always':
        return true;
      case 'probability':
        return this.random() < trigger.probability;
      case 'every-nth':
        return matches % trigger.n === 0;
      case 'first-n':
        return matches <= trigger.n;
      case 'once':
        return matches === 1;
      case 'greylist':
        return greylistFires(rule.greylist, greylistKey(context), trigger.waitMs, at);
    }
  }
}

/**
 * Fires for the first attempt of a triple and for every attempt before `waitMs` passed
 * since the first. After that the triple passes, until the rule evicts or clears it.
 */
function greylistFires(
  entries: Map<string, number>,
  key: string,
  waitMs: number,
  at: number,
): boolean {
  const firstSeen = entries.get(key);
  if (firstSeen === undefined) {
    entries.set(key, at);
    if (entries.size > MAX_GREYLIST_ENTRIES) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
    return true;
  }
  return at - firstSeen < waitMs;
}

function greylistKey(context: StepContext): string {
  const recipients = context.recipient ?? [...(context.recipients ?? [])].sort().join(',');
  return [context.sender ?? '', recipients.toLowerCase(), context.clientAddress].join('\n');
}

function compileRule(definition: RuleDefinition): CompiledRule {
  return {
    definition,
    conditions: compileConditions(definition),
    counters: emptyCounters(),
    greylist: new Map(),
  };
}

function compileConditions(definition: RuleDefinition): CompiledRule['conditions'] {
  const { match } = definition;
  const conditions: CompiledRule['conditions'] = [];
  const optional = (test: PatternTest) => (value: string | null | undefined) =>
    value !== null && value !== undefined && test(value);

  if (match.sender) {
    const test = optional(compilePattern(match.sender));
    conditions.push((context) => test(context.sender));
  }
  if (match.recipient) {
    const test = compilePattern(match.recipient);
    conditions.push((context) =>
      context.recipient !== undefined
        ? test(context.recipient)
        : (context.recipients ?? []).some((recipient) => test(recipient)),
    );
  }
  if (match.clientAddress) {
    const test = compilePattern(match.clientAddress);
    conditions.push((context) => test(context.clientAddress));
  }
  if (match.authUser) {
    const test = optional(compilePattern(match.authUser));
    conditions.push((context) => test(context.authUser));
  }
  if (match.subject) {
    const test = compilePattern(match.subject);
    conditions.push((context) => fieldValues(context, 'subject').some((value) => test(value)));
  }
  if (match.header) {
    const name = match.header.name;
    const test = compilePattern(match.header.value);
    conditions.push((context) => fieldValues(context, name).some((value) => test(value)));
  }
  return conditions;
}

/** Returns the decoded values of every header field named `name`. */
function fieldValues(context: StepContext, name: string): string[] {
  const lower = name.toLowerCase();
  return (context.headers ?? [])
    .filter((field) => field.name.toLowerCase() === lower)
    .map((field) => decodeEncodedWords(field.value));
}

function decodeEncodedWords(value: string): string {
  try {
    return loadLibmime().decodeWords(value);
  } catch {
    return value;
  }
}

function emptyCounters(): RuleCounters {
  return { matches: 0, fired: 0, lastMatchedAt: null, lastFiredAt: null, greylistEntries: 0 };
}

function sameBehaviour(a: RuleDefinition, b: RuleDefinition): boolean {
  const key = (rule: RuleDefinition) =>
    JSON.stringify([rule.stage, rule.match, rule.action, rule.trigger]);
  return key(a) === key(b);
}
