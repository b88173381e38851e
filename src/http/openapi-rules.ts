import { MAX_DELAY_MS, MAX_GREYLIST_WAIT_MS } from '../rules/validate.js';
import { RULE_STAGES } from '../rules/types.js';
import { apiError, json, ref, type Schema } from './openapi-parts.js';

const ruleId: Schema = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Rule id.',
  schema: { type: 'string' },
};

const notFound = apiError('No rule has this id.');
const invalid = apiError('The rule is invalid; the message names the field.');

/** The `rule` parameter of GET /deliveries. */
export const RULE_FILTER_PARAMETER: Schema = {
  name: 'rule',
  in: 'query',
  description:
    'Only deliveries aborted by a failure rule: the rule id, or * for any rule. A rule ' +
    'aborts a delivery when it rejected a step and the transaction then ended uncommitted.',
  schema: { type: 'string', examples: ['*', 'greylist-all'] },
};

/** The rule and pause routes, without the common responses. */
export const RULES_PATHS: Record<string, Schema> = {
  '/rules': {
    get: {
      summary: 'List the failure rules with their counters',
      operationId: 'listRules',
      responses: {
        '200': json('Every rule in evaluation order.', {
          type: 'object',
          properties: { rules: { type: 'array', items: ref('RuleView') } },
          required: ['rules'],
        }),
      },
    },
    post: {
      summary: 'Add a failure rule at the end of the list',
      operationId: 'createRule',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('RuleInput') } },
      },
      responses: {
        '201': json('The stored rule.', ref('RuleView')),
        '400': invalid,
        '409': apiError('A rule with this id already exists.'),
      },
    },
  },
  '/rules/reset': {
    post: {
      summary: "Set every rule's counters to zero",
      operationId: 'resetAllRuleCounters',
      responses: { '200': json('Every rule.', { type: 'object' }) },
    },
  },
  '/rules/{id}': {
    get: {
      summary: 'Get one rule',
      operationId: 'getRule',
      parameters: [ruleId],
      responses: { '200': json('The rule.', ref('RuleView')), '404': notFound },
    },
    put: {
      summary: 'Replace a rule in place',
      operationId: 'replaceRule',
      description: 'A changed stage, condition, action or trigger starts the counters from zero.',
      parameters: [ruleId],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('RuleInput') } },
      },
      responses: { '200': json('The rule.', ref('RuleView')), '400': invalid, '404': notFound },
    },
    delete: {
      summary: 'Delete a rule',
      operationId: 'deleteRule',
      parameters: [ruleId],
      responses: { '204': { description: 'Deleted.' }, '404': notFound },
    },
  },
  '/rules/{id}/enabled': {
    put: {
      summary: 'Switch a rule on or off',
      operationId: 'setRuleEnabled',
      parameters: [ruleId],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', properties: { enabled: { type: 'boolean' } } },
          },
        },
      },
      responses: { '200': json('The rule.', ref('RuleView')), '404': notFound },
    },
  },
  '/rules/{id}/reset': {
    post: {
      summary: "Set a rule's counters to zero and forget its greylisting triples",
      operationId: 'resetRuleCounters',
      parameters: [ruleId],
      responses: { '200': json('The rule.', ref('RuleView')), '404': notFound },
    },
  },
  '/intake': {
    get: {
      summary: 'Get the pause switch',
      operationId: 'getIntake',
      responses: { '200': json('The state.', ref('IntakeState')) },
    },
    put: {
      summary: 'Pause or resume intake',
      operationId: 'setIntake',
      description:
        'While paused, every MAIL FROM gets the code (421 closes the connection, 451 keeps ' +
        'it open) with enhanced code 4.3.2, and no delivery starts.',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { paused: { type: 'boolean' }, code: { enum: [421, 451] } },
              required: ['paused'],
            },
          },
        },
      },
      responses: { '200': json('The new state.', ref('IntakeState')), '400': invalid },
    },
  },
};

const pattern: Schema = {
  description:
    'Compared without regard to case. A string is a wildcard pattern (* and ?) when it has ' +
    'one, else exact. regex is RE2 syntax and matches anywhere unless anchored.',
  oneOf: [
    { type: 'string' },
    {
      type: 'object',
      properties: { type: { enum: ['exact', 'wildcard', 'regex'] }, value: { type: 'string' } },
      required: ['type', 'value'],
    },
  ],
};

const delayMs: Schema = { type: 'integer', minimum: 0, maximum: MAX_DELAY_MS };

const ruleFields: Schema = {
  id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$' },
  name: { type: 'string' },
  enabled: { type: 'boolean' },
  stage: { enum: [...RULE_STAGES] },
  match: {
    type: 'object',
    description:
      'Every condition given must match. subject and header only at end-of-data; ' +
      'recipient from rcpt on; sender from mail on; authUser from auth on.',
    properties: {
      sender: pattern,
      recipient: pattern,
      subject: pattern,
      header: {
        type: 'object',
        properties: { name: { type: 'string' }, value: pattern },
        required: ['name', 'value'],
      },
      clientAddress: pattern,
      authUser: pattern,
    },
  },
  action: {
    oneOf: [
      {
        type: 'object',
        properties: {
          type: { const: 'reply' },
          code: { type: 'integer', minimum: 400, maximum: 599 },
          enhancedCode: { type: 'string', examples: ['4.7.1'] },
          message: { type: 'string' },
          delayMs,
        },
        required: ['type', 'code'],
      },
      {
        type: 'object',
        properties: { type: { const: 'delay' }, delayMs },
        required: ['type', 'delayMs'],
      },
      { type: 'object', properties: { type: { const: 'drop' }, delayMs }, required: ['type'] },
      { type: 'object', properties: { type: { const: 'accept' } }, required: ['type'] },
    ],
  },
  trigger: {
    oneOf: [
      { type: 'object', properties: { type: { enum: ['always', 'once'] } }, required: ['type'] },
      {
        type: 'object',
        properties: {
          type: { const: 'probability' },
          probability: { type: 'number', minimum: 0, maximum: 1 },
        },
        required: ['type', 'probability'],
      },
      {
        type: 'object',
        properties: {
          type: { enum: ['every-nth', 'first-n'] },
          n: { type: 'integer', minimum: 1 },
        },
        required: ['type', 'n'],
      },
      {
        type: 'object',
        properties: {
          type: { const: 'greylist' },
          waitMs: { type: 'integer', minimum: 0, maximum: MAX_GREYLIST_WAIT_MS },
        },
        required: ['type', 'waitMs'],
      },
    ],
  },
};

export const RULES_SCHEMAS: Record<string, Schema> = {
  RuleInput: {
    type: 'object',
    description: 'A failure rule as a client sends it. The rules file contains a list of these.',
    properties: ruleFields,
    required: ['name', 'stage', 'action'],
  },
  RuleView: {
    type: 'object',
    properties: {
      ...ruleFields,
      position: { type: 'integer' },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
      counters: {
        type: 'object',
        description:
          'Matching state, kept in memory from start or the last reset. matches counts ' +
          'steps whose conditions matched while the rule was enabled; fired counts those ' +
          'that ran the action. every-nth, first-n and once decide on matches.',
        properties: {
          matches: { type: 'integer' },
          fired: { type: 'integer' },
          lastMatchedAt: { type: ['integer', 'null'] },
          lastFiredAt: { type: ['integer', 'null'] },
          greylistEntries: { type: 'integer' },
        },
      },
    },
  },
  IntakeState: {
    type: 'object',
    properties: {
      paused: { type: 'boolean' },
      code: { enum: [421, 451] },
      since: { type: ['integer', 'null'] },
    },
    required: ['paused', 'code', 'since'],
  },
};
