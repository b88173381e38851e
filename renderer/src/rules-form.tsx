import { useState } from 'react';

import type {
  RuleAction,
  RuleConditions,
  RuleInput,
  RuleStage,
  RuleTrigger,
  RuleView,
} from '../../src/http/api-types.js';

export const STAGE_LABELS: Record<RuleStage, string> = {
  connect: 'Connect (greeting)',
  helo: 'HELO / EHLO',
  auth: 'AUTH',
  mail: 'MAIL FROM',
  rcpt: 'RCPT TO',
  data: 'DATA command',
  'end-of-data': 'End of data (after the final dot)',
};

/** Conditions the form offers, with the stages at which each has a value. */
const CONDITION_FIELDS: Array<[keyof Omit<RuleConditions, 'header'>, string, RuleStage[]]> = [
  ['sender', 'Sender', ['mail', 'rcpt', 'data', 'end-of-data']],
  ['recipient', 'Recipient', ['rcpt', 'data', 'end-of-data']],
  ['subject', 'Subject', ['end-of-data']],
  [
    'clientAddress',
    'Client address',
    ['connect', 'helo', 'auth', 'mail', 'rcpt', 'data', 'end-of-data'],
  ],
  ['authUser', 'Authenticated user', ['auth', 'mail', 'rcpt', 'data', 'end-of-data']],
];

interface FormState {
  name: string;
  stage: RuleStage;
  conditions: Record<string, string>;
  /** How condition values are read: wildcard (`*`, `?`) or a regular expression. */
  patternType: 'wildcard' | 'regex';
  headerName: string;
  headerValue: string;
  action: RuleAction['type'];
  code: string;
  enhancedCode: string;
  message: string;
  delayMs: string;
  trigger: RuleTrigger['type'];
  count: string;
  probability: string;
  waitSeconds: string;
}

const EMPTY_FORM: FormState = {
  name: '',
  stage: 'rcpt',
  conditions: {},
  patternType: 'wildcard',
  headerName: '',
  headerValue: '',
  action: 'reply',
  code: '451',
  enhancedCode: '4.7.1',
  message: 'Try again later',
  delayMs: '0',
  trigger: 'always',
  count: '3',
  probability: '50',
  waitSeconds: '60',
};

/** Renders the add and edit form of one rule. `rule` is the rule edited, or null for a new one. */
export function RuleForm({
  rule,
  onSave,
  onCancel,
}: {
  rule: RuleView | null;
  onSave(input: RuleInput): Promise<void>;
  onCancel(): void;
}) {
  const [form, setForm] = useState<FormState>(() => (rule ? formFromRule(rule) : EMPTY_FORM));
  const [error, setError] = useState<string | null>(null);
  const update = (change: Partial<FormState>) => setForm((current) => ({ ...current, ...change }));

  const submit = async () => {
    setError(null);
    try {
      await onSave(inputFromForm(form, rule));
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <form
      className="rule-form"
      aria-label={rule ? `Edit rule ${rule.name}` : 'New rule'}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <label>
        Name
        <input
          aria-label="Name"
          required
          value={form.name}
          onChange={(e) => update({ name: e.target.value })}
        />
      </label>
      <label>
        Stage
        <select
          aria-label="Stage"
          value={form.stage}
          onChange={(e) => update({ stage: e.target.value as RuleStage })}
        >
          {Object.entries(STAGE_LABELS).map(([stage, label]) => (
            <option key={stage} value={stage}>
              {label}
            </option>
          ))}
        </select>
      </label>

      <fieldset>
        <legend>Match (empty fields match anything)</legend>
        <label>
          Patterns are
          <select
            aria-label="Patterns are"
            value={form.patternType}
            onChange={(e) => update({ patternType: e.target.value as FormState['patternType'] })}
          >
            <option value="wildcard">exact, or wildcards * and ?</option>
            <option value="regex">regular expressions (RE2)</option>
          </select>
        </label>
        {CONDITION_FIELDS.filter(([, , stages]) => stages.includes(form.stage)).map(
          ([key, label]) => (
            <label key={key}>
              {label}
              <input
                aria-label={label}
                value={form.conditions[key] ?? ''}
                onChange={(e) =>
                  update({ conditions: { ...form.conditions, [key]: e.target.value } })
                }
              />
            </label>
          ),
        )}
        {form.stage === 'end-of-data' && (
          <>
            <label>
              Header name
              <input
                aria-label="Header name"
                value={form.headerName}
                onChange={(e) => update({ headerName: e.target.value })}
              />
            </label>
            <label>
              Header value
              <input
                aria-label="Header value"
                value={form.headerValue}
                onChange={(e) => update({ headerValue: e.target.value })}
              />
            </label>
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>What it does</legend>
        <label>
          Action
          <select
            aria-label="Action"
            value={form.action}
            onChange={(e) => update({ action: e.target.value as RuleAction['type'] })}
          >
            <option value="reply">Reply with a failure</option>
            <option value="delay">Delay the reply</option>
            <option value="drop">Drop the connection</option>
            <option value="accept">Accept (skip later rules)</option>
          </select>
        </label>
        {form.action === 'reply' && (
          <>
            <label>
              Code
              <input
                aria-label="Code"
                inputMode="numeric"
                value={form.code}
                onChange={(e) => update({ code: e.target.value })}
              />
            </label>
            <label>
              Enhanced code
              <input
                aria-label="Enhanced code"
                value={form.enhancedCode}
                onChange={(e) => update({ enhancedCode: e.target.value })}
              />
            </label>
            <label>
              Text
              <input
                aria-label="Text"
                value={form.message}
                onChange={(e) => update({ message: e.target.value })}
              />
            </label>
          </>
        )}
        {form.action !== 'accept' && (
          <label>
            Delay (ms)
            <input
              aria-label="Delay (ms)"
              inputMode="numeric"
              value={form.delayMs}
              onChange={(e) => update({ delayMs: e.target.value })}
            />
          </label>
        )}
      </fieldset>

      <fieldset>
        <legend>Trigger</legend>
        <label>
          Fires
          <select
            aria-label="Fires"
            value={form.trigger}
            onChange={(e) => update({ trigger: e.target.value as RuleTrigger['type'] })}
          >
            <option value="always">on every match</option>
            <option value="first-n">for the first N matches</option>
            <option value="every-nth">on every Nth match</option>
            <option value="once">once</option>
            <option value="probability">with a probability</option>
            <option value="greylist">greylisting</option>
          </select>
        </label>
        {(form.trigger === 'first-n' || form.trigger === 'every-nth') && (
          <label>
            N
            <input
              aria-label="N"
              inputMode="numeric"
              value={form.count}
              onChange={(e) => update({ count: e.target.value })}
            />
          </label>
        )}
        {form.trigger === 'probability' && (
          <label>
            Probability (%)
            <input
              aria-label="Probability (%)"
              inputMode="decimal"
              value={form.probability}
              onChange={(e) => update({ probability: e.target.value })}
            />
          </label>
        )}
        {form.trigger === 'greylist' && (
          <label>
            Accept retries after (s)
            <input
              aria-label="Accept retries after (s)"
              inputMode="numeric"
              value={form.waitSeconds}
              onChange={(e) => update({ waitSeconds: e.target.value })}
            />
          </label>
        )}
      </fieldset>

      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <div className="dialog-buttons">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Save rule
        </button>
      </div>
    </form>
  );
}

function inputFromForm(form: FormState, rule: RuleView | null): RuleInput {
  const match: RuleConditions = {};
  for (const [key, , stages] of CONDITION_FIELDS) {
    const value = (form.conditions[key] ?? '').trim();
    if (value !== '' && stages.includes(form.stage)) match[key] = pattern(value, form.patternType);
  }
  if (form.stage === 'end-of-data' && form.headerName.trim() !== '') {
    match.header = {
      name: form.headerName.trim(),
      value: pattern(form.headerValue.trim(), form.patternType),
    };
  }
  const delayMs = Number(form.delayMs) || 0;
  const delay = delayMs > 0 ? { delayMs } : {};
  const actions: Record<RuleAction['type'], RuleAction> = {
    reply: {
      type: 'reply',
      code: Number(form.code),
      enhancedCode: form.enhancedCode.trim(),
      message: form.message,
      ...delay,
    },
    delay: { type: 'delay', delayMs },
    drop: { type: 'drop', ...delay },
    accept: { type: 'accept' },
  };
  const triggers: Record<RuleTrigger['type'], RuleTrigger> = {
    always: { type: 'always' },
    once: { type: 'once' },
    'first-n': { type: 'first-n', n: Number(form.count) },
    'every-nth': { type: 'every-nth', n: Number(form.count) },
    probability: { type: 'probability', probability: Number(form.probability) / 100 },
    greylist: { type: 'greylist', waitMs: Math.round(Number(form.waitSeconds) * 1000) },
  };
  return {
    ...(rule ? { id: rule.id } : {}),
    name: form.name.trim(),
    enabled: rule?.enabled ?? true,
    stage: form.stage,
    match,
    action: actions[form.action],
    trigger: triggers[form.trigger],
  };
}

function pattern(value: string, type: FormState['patternType']) {
  if (type === 'regex') return { type: 'regex' as const, value };
  return { type: /[*?]/.test(value) ? ('wildcard' as const) : ('exact' as const), value };
}

function formFromRule(rule: RuleView): FormState {
  const conditions: Record<string, string> = {};
  let patternType: FormState['patternType'] = 'wildcard';
  for (const [key] of CONDITION_FIELDS) {
    const condition = rule.match[key];
    if (condition === undefined) continue;
    conditions[key] = condition.value;
    if (condition.type === 'regex') patternType = 'regex';
  }
  const { action, trigger } = rule;
  return {
    ...EMPTY_FORM,
    name: rule.name,
    stage: rule.stage,
    conditions,
    patternType,
    headerName: rule.match.header?.name ?? '',
    headerValue: rule.match.header?.value.value ?? '',
    action: action.type,
    code: action.type === 'reply' ? String(action.code) : EMPTY_FORM.code,
    enhancedCode: action.type === 'reply' ? action.enhancedCode : EMPTY_FORM.enhancedCode,
    message: action.type === 'reply' ? action.message : EMPTY_FORM.message,
    delayMs: 'delayMs' in action ? String(action.delayMs ?? 0) : '0',
    trigger: trigger.type,
    count: 'n' in trigger ? String(trigger.n) : EMPTY_FORM.count,
    probability: 'probability' in trigger ? String(trigger.probability * 100) : '50',
    waitSeconds: 'waitMs' in trigger ? String(trigger.waitMs / 1000) : '60',
  };
}
