import { compilePattern, MAX_PATTERN_LENGTH, PatternTooLargeError } from './pattern.js';
import {
  RULE_STAGES,
  type RuleAction,
  type RuleConditions,
  type RuleInput,
  type RuleStage,
  type RuleTrigger,
  type TextPattern,
} from './types.js';

/** Maximum delay a rule may add to one reply, in milliseconds (5 minutes). */
export const MAX_DELAY_MS = 300_000;
/** Maximum greylisting wait, in milliseconds (one day). */
export const MAX_GREYLIST_WAIT_MS = 86_400_000;
const MAX_NAME_LENGTH = 200;
const MAX_REPLY_TEXT_LENGTH = 500;
const MAX_COUNT = 1_000_000;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** An invalid rule. The message names the field and the expected form. */
export class RuleValidationError extends Error {
  override name = 'RuleValidationError';
}

/**
 * Checks a rule from JSON (the API or the rules file) and returns it with defaults filled
 * in. Throws RuleValidationError on the first invalid field. `where` prefixes messages,
 * such as `rules[2]` for the third rule of a file.
 */
export function parseRuleInput(value: unknown, where = 'rule'): Required<RuleInput> {
  const input = asObject(value, where);
  const name = asString(input.name, `${where}.name`, MAX_NAME_LENGTH).trim();
  if (name === '') throw new RuleValidationError(`${where}.name must not be empty.`);

  const id = input.id === undefined ? idFromName(name) : asString(input.id, `${where}.id`, 100);
  if (!ID_PATTERN.test(id)) {
    throw new RuleValidationError(
      `${where}.id "${id}" is invalid: use 1 to 100 letters, digits, ".", "_" or "-".`,
    );
  }
  const enabled = input.enabled === undefined ? true : asBoolean(input.enabled, `${where}.enabled`);
  const stage = parseStage(input.stage, `${where}.stage`);
  const match = parseConditions(input.match ?? {}, stage, `${where}.match`);
  const action = parseAction(input.action, `${where}.action`);
  const trigger = parseTrigger(input.trigger ?? { type: 'always' }, `${where}.trigger`);
  return { id, name, enabled, stage, match, action, trigger };
}

/** Makes an id from a rule name: lower case, runs of other characters turned into `-`. */
export function idFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
  return slug === '' ? 'rule' : slug;
}

function parseStage(value: unknown, where: string): RuleStage {
  if (!RULE_STAGES.includes(value as RuleStage)) {
    throw new RuleValidationError(`${where} must be one of ${RULE_STAGES.join(', ')}.`);
  }
  return value as RuleStage;
}

/** Stages at which each condition has a value to compare. */
const CONDITION_STAGES: Record<keyof RuleConditions, readonly RuleStage[]> = {
  sender: ['mail', 'rcpt', 'data', 'end-of-data'],
  recipient: ['rcpt', 'data', 'end-of-data'],
  subject: ['end-of-data'],
  header: ['end-of-data'],
  clientAddress: RULE_STAGES,
  authUser: ['auth', 'mail', 'rcpt', 'data', 'end-of-data'],
};

function parseConditions(value: unknown, stage: RuleStage, where: string): RuleConditions {
  const input = asObject(value, where);
  const conditions: RuleConditions = {};
  for (const [key, field] of Object.entries(input)) {
    if (field === undefined || field === null) continue;
    if (!(key in CONDITION_STAGES)) {
      const known = Object.keys(CONDITION_STAGES).join(', ');
      throw new RuleValidationError(`${where}.${key} is unknown: expected ${known}.`);
    }
    const name = key as keyof RuleConditions;
    if (!CONDITION_STAGES[name].includes(stage)) {
      throw new RuleValidationError(
        `${where}.${key} has no value at stage "${stage}": use it at ${CONDITION_STAGES[name].join(', ')}.`,
      );
    }
    if (name === 'header') {
      const header = asObject(field, `${where}.header`);
      const headerName = asString(header.name, `${where}.header.name`, 200).trim();
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(headerName)) {
        throw new RuleValidationError(`${where}.header.name "${headerName}" is not a field name.`);
      }
      conditions.header = {
        name: headerName,
        value: parsePattern(header.value, `${where}.header.value`),
      };
    } else {
      conditions[name] = parsePattern(field, `${where}.${key}`);
    }
  }
  return conditions;
}

/**
 * Reads a pattern: `{ type, value }`, or a plain string, which is a wildcard pattern when
 * it contains `*` or `?` and an exact one otherwise.
 */
export function parsePattern(value: unknown, where: string): TextPattern {
  let pattern: TextPattern;
  if (typeof value === 'string') {
    pattern = { type: /[*?]/.test(value) ? 'wildcard' : 'exact', value };
  } else {
    const input = asObject(value, where);
    const type = input.type;
    if (type !== 'exact' && type !== 'wildcard' && type !== 'regex') {
      throw new RuleValidationError(`${where}.type must be exact, wildcard or regex.`);
    }
    pattern = { type, value: asString(input.value, `${where}.value`, MAX_PATTERN_LENGTH) };
  }
  if (pattern.value.length > MAX_PATTERN_LENGTH) {
    throw new RuleValidationError(`${where} is longer than ${MAX_PATTERN_LENGTH} characters.`);
  }
  try {
    compilePattern(pattern);
  } catch (error) {
    if (error instanceof PatternTooLargeError) {
      throw new RuleValidationError(`${where} is too large: ${error.message}`);
    }
    throw new RuleValidationError(`${where} is not a valid pattern: ${(error as Error).message}`);
  }
  return pattern;
}

function parseAction(value: unknown, where: string): RuleAction {
  const input = asObject(value, where);
  const delayMs =
    input.delayMs === undefined
      ? undefined
      : asInteger(input.delayMs, `${where}.delayMs`, 0, MAX_DELAY_MS);
  switch (input.type) {
    case 'reply': {
      const code = asInteger(input.code, `${where}.code`, 400, 599);
      // RFC 3463: the class digit of the enhanced code matches the first digit of the code.
      const enhancedCode =
        input.enhancedCode === undefined || input.enhancedCode === ''
          ? `${Math.floor(code / 100)}.0.0`
          : asString(input.enhancedCode, `${where}.enhancedCode`, 20);
      if (!/^[45]\.\d{1,3}\.\d{1,3}$/.test(enhancedCode) || enhancedCode[0] !== String(code)[0]) {
        throw new RuleValidationError(
          `${where}.enhancedCode "${enhancedCode}" must look like ${Math.floor(code / 100)}.7.1, ` +
            'with the same first digit as the code.',
        );
      }
      const message = asString(input.message ?? '', `${where}.message`, MAX_REPLY_TEXT_LENGTH)
        .replace(/[\r\n]+/g, ' ')
        .trim();
      return {
        type: 'reply',
        code,
        enhancedCode,
        message: message === '' ? defaultReplyText(code) : message,
        ...(delayMs === undefined ? {} : { delayMs }),
      };
    }
    case 'delay':
      if (delayMs === undefined) {
        throw new RuleValidationError(`${where}.delayMs is required for a delay action.`);
      }
      return { type: 'delay', delayMs };
    case 'drop':
      return { type: 'drop', ...(delayMs === undefined ? {} : { delayMs }) };
    case 'accept':
      return { type: 'accept' };
    default:
      throw new RuleValidationError(`${where}.type must be reply, delay, drop or accept.`);
  }
}

function defaultReplyText(code: number): string {
  return code < 500 ? 'Temporary failure set by a Mailscope rule' : 'Rejected by a Mailscope rule';
}

function parseTrigger(value: unknown, where: string): RuleTrigger {
  const input = asObject(value, where);
  switch (input.type) {
    case 'always':
    case 'once':
      return { type: input.type };
    case 'probability': {
      const probability = input.probability;
      if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
        throw new RuleValidationError(`${where}.probability must be a number from 0 to 1.`);
      }
      return { type: 'probability', probability };
    }
    case 'every-nth':
    case 'first-n':
      return { type: input.type, n: asInteger(input.n, `${where}.n`, 1, MAX_COUNT) };
    case 'greylist':
      return {
        type: 'greylist',
        waitMs: asInteger(input.waitMs, `${where}.waitMs`, 0, MAX_GREYLIST_WAIT_MS),
      };
    default:
      throw new RuleValidationError(
        `${where}.type must be always, probability, every-nth, first-n, once or greylist.`,
      );
  }
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RuleValidationError(`${where} must be a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function asString(value: unknown, where: string, maxLength: number): string {
  if (typeof value !== 'string') throw new RuleValidationError(`${where} must be a string.`);
  if (value.length > maxLength) {
    throw new RuleValidationError(`${where} is longer than ${maxLength} characters.`);
  }
  return value;
}

function asBoolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new RuleValidationError(`${where} must be true or false.`);
  return value;
}

function asInteger(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RuleValidationError(`${where} must be a whole number from ${min} to ${max}.`);
  }
  return value;
}
