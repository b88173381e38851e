import { Hono } from 'hono';

import type { RuleService, RuleView } from '../../rules/index.js';

/** One of Mailpit's chaos triggers: the reply code and the chance of it, in percent. */
interface ChaosTrigger {
  ErrorCode: number;
  Probability: number;
}

type TriggerName = 'Sender' | 'Recipient' | 'Authentication';
type ChaosTriggers = Record<TriggerName, ChaosTrigger>;

/**
 * Each Mailpit trigger is a Mailscope rule with a fixed id and a probability trigger, so
 * the rules panel and the rules API show and edit the same thing. Mailpit's defaults are
 * 451 for Sender and Recipient and 535 for Authentication, each at 0 %.
 */
const CHAOS_RULES: Record<
  TriggerName,
  { id: string; stage: 'mail' | 'rcpt' | 'auth'; defaultCode: number }
> = {
  Sender: { id: 'mailpit-chaos-sender', stage: 'mail', defaultCode: 451 },
  Recipient: { id: 'mailpit-chaos-recipient', stage: 'rcpt', defaultCode: 451 },
  Authentication: { id: 'mailpit-chaos-authentication', stage: 'auth', defaultCode: 535 },
};

const TRIGGER_NAMES = Object.keys(CHAOS_RULES) as TriggerName[];

/**
 * Mailpit's chaos API: GET and PUT /chaos, which Mailscope always enables. A PUT resets
 * each trigger it omits to its default code at 0 %, as Mailpit does. A trigger at 0 % is
 * a disabled rule.
 */
export function chaosRoutes(rules: RuleService): Hono {
  const routes = new Hono();

  routes.get('/chaos', (c) => c.json(readTriggers(rules)));

  routes.put('/chaos', async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.text('Error: invalid JSON body', 400);
    }
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<
      string,
      unknown
    >;
    const triggers = {} as ChaosTriggers;
    for (const name of TRIGGER_NAMES) {
      const parsed = parseTrigger(name, input[name]);
      if (typeof parsed === 'string') return c.text(parsed, 400);
      triggers[name] = parsed;
    }
    for (const name of TRIGGER_NAMES) writeTrigger(rules, name, triggers[name]);
    return c.json(readTriggers(rules));
  });

  return routes;
}

function parseTrigger(name: TriggerName, value: unknown): ChaosTrigger | string {
  const fallback = { ErrorCode: CHAOS_RULES[name].defaultCode, Probability: 0 };
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'object') return `Error: ${name} must be an object`;
  const trigger = value as Partial<ChaosTrigger>;
  const code = trigger.ErrorCode ?? fallback.ErrorCode;
  const probability = trigger.Probability ?? 0;
  if (!Number.isInteger(code) || code < 400 || code > 599) {
    return `Error: ${name}.ErrorCode must be from 400 to 599`;
  }
  if (!Number.isInteger(probability) || probability < 0 || probability > 100) {
    return `Error: ${name}.Probability must be from 0 to 100`;
  }
  return { ErrorCode: code, Probability: probability };
}

function writeTrigger(rules: RuleService, name: TriggerName, trigger: ChaosTrigger): void {
  const { id, stage } = CHAOS_RULES[name];
  rules.upsert({
    id,
    name: `Mailpit chaos: ${name}`,
    enabled: trigger.Probability > 0,
    stage,
    action: {
      type: 'reply',
      code: trigger.ErrorCode,
      enhancedCode: `${Math.floor(trigger.ErrorCode / 100)}.0.0`,
      message: 'Chaos triggered error',
    },
    trigger: { type: 'probability', probability: trigger.Probability / 100 },
  });
}

function readTriggers(rules: RuleService): ChaosTriggers {
  const triggers = {} as ChaosTriggers;
  for (const name of TRIGGER_NAMES) {
    const rule = rules.get(CHAOS_RULES[name].id);
    triggers[name] = rule === null ? defaultTrigger(name) : toTrigger(rule);
  }
  return triggers;
}

function toTrigger(rule: RuleView): ChaosTrigger {
  const code = rule.action.type === 'reply' ? rule.action.code : 451;
  const probability =
    rule.enabled && rule.trigger.type === 'probability' ? rule.trigger.probability : 0;
  return { ErrorCode: code, Probability: Math.round(probability * 100) };
}

function defaultTrigger(name: TriggerName): ChaosTrigger {
  return { ErrorCode: CHAOS_RULES[name].defaultCode, Probability: 0 };
}
