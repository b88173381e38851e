import { readFile } from 'node:fs/promises';

import type { Database } from 'better-sqlite3';

import type { EventBus } from '../delivery/events.js';
import type { Logger } from '../log.js';
import { RuleEngine } from './engine.js';
import { IntakeSwitch } from './intake.js';
import { RuleHooks } from './rule-hooks.js';
import { RuleStore } from './rule-store.js';
import type { IntakeState, RuleView } from './types.js';
import { parseRuleInput, RuleValidationError } from './validate.js';

export type * from './types.js';
export { RuleValidationError } from './validate.js';

/** Maximum number of rules. Creating more fails, which bounds the work per SMTP step. */
export const MAX_RULES = 500;

export interface RuleServiceOptions {
  db: Database;
  events: EventBus;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A request that names a rule that does not exist, or an id already taken. */
export class RuleConflictError extends Error {
  override name = 'RuleConflictError';
}

/**
 * The failure rules and the pause switch: rules are stored in the database and evaluated
 * by the engine, whose counters live in memory. Every change emits `rules.changed` or
 * `intake.changed` on the bus, for the live events.
 */
export class RuleService {
  readonly hooks: RuleHooks;
  private readonly engine: RuleEngine;
  private readonly store: RuleStore;
  private readonly intake: IntakeSwitch;
  private readonly now: () => number;

  constructor(private readonly options: RuleServiceOptions) {
    this.now = options.now ?? Date.now;
    this.engine = new RuleEngine({
      now: this.now,
      random: options.random,
      onInvalidRule: (id, error) =>
        options.logger.warn(
          { ruleId: id, err: error },
          'stored rule never matches because its pattern is invalid or too large. Edit or delete the rule.',
        ),
    });
    this.store = new RuleStore(options.db, this.now);
    this.intake = new IntakeSwitch(this.now);
    this.hooks = new RuleHooks(this.engine, this.intake, options.sleep);
    this.engine.setRules(this.store.list());
  }

  list(): RuleView[] {
    return this.engine.list();
  }

  get(id: string): RuleView | null {
    return this.engine.list().find((rule) => rule.id === id) ?? null;
  }

  /** Adds a rule at the end of the list. Throws RuleConflictError when its id is taken. */
  create(body: unknown): RuleView {
    const input = parseRuleInput(body);
    if (this.store.get(input.id) !== null) {
      throw new RuleConflictError(`A rule with id "${input.id}" already exists.`);
    }
    if (this.store.list().length >= MAX_RULES) {
      throw new RuleValidationError(`There are already ${MAX_RULES} rules, the maximum.`);
    }
    return this.save(input);
  }

  /** Replaces the rule `id` in place; the body's id, if any, must be the same. */
  replace(id: string, body: unknown): RuleView | null {
    if (this.store.get(id) === null) return null;
    const input = parseRuleInput({ ...(body as object), id });
    return this.save(input);
  }

  /** Adds the rule, or replaces the rule with the same id in place. */
  upsert(body: unknown): RuleView {
    return this.save(parseRuleInput(body));
  }

  setEnabled(id: string, enabled: boolean): RuleView | null {
    if (this.store.setEnabled(id, enabled) === null) return null;
    this.reload();
    return this.get(id);
  }

  delete(id: string): boolean {
    const deleted = this.store.delete(id);
    if (deleted) this.reload();
    return deleted;
  }

  /** Sets the counters of one rule, or of every rule when `id` is null, to zero. */
  resetCounters(id: string | null): boolean {
    const ids = id === null ? this.list().map((rule) => rule.id) : [id];
    const found = ids.map((ruleId) => this.engine.resetCounters(ruleId)).every(Boolean);
    this.emitRulesChanged();
    return found;
  }

  /**
   * Loads rules from a JSON file: `{ "rules": [ ... ] }` or a bare array, each entry in the
   * form the API takes. Each rule replaces the stored rule with the same id, or is added.
   * Throws with the file name and the invalid field when any rule is invalid, before
   * storing any of them.
   */
  async loadFile(path: string): Promise<RuleView[]> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new Error(`Failed to read the rules file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const entries = Array.isArray(parsed) ? parsed : (parsed as { rules?: unknown })?.rules;
    if (!Array.isArray(entries)) {
      throw new Error(`The rules file ${path} must contain a JSON array or { "rules": [...] }.`);
    }
    let inputs;
    try {
      inputs = entries.map((entry, index) => parseRuleInput(entry, `rules[${index}]`));
    } catch (error) {
      throw new Error(`Invalid rules file ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.options.db.transaction(() => inputs.forEach((input) => this.store.upsert(input)))();
    this.reload();
    this.options.logger.info({ path, rules: inputs.length }, 'rules file loaded');
    return inputs.map((input) => this.get(input.id) as RuleView);
  }

  intakeState(): IntakeState {
    return this.intake.state();
  }

  setIntake(paused: boolean, code?: 421 | 451): IntakeState {
    const intake = this.intake.set(paused, code);
    this.options.logger.info(
      { paused, code: intake.code },
      paused ? 'intake paused' : 'intake resumed',
    );
    this.options.events.emitUserEvent({ type: 'intake.changed', at: this.now(), intake });
    return intake;
  }

  private save(input: ReturnType<typeof parseRuleInput>): RuleView {
    this.store.upsert(input);
    this.reload();
    return this.get(input.id) as RuleView;
  }

  private reload(): void {
    this.engine.setRules(this.store.list());
    this.emitRulesChanged();
  }

  private emitRulesChanged(): void {
    this.options.events.emitUserEvent({ type: 'rules.changed', at: this.now() });
  }
}
