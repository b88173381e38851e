import type { IntakeState, RuleInput, RuleView } from '../../src/http/api-types.js';
import { send } from './api-client.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export async function listRules(signal?: AbortSignal): Promise<RuleView[]> {
  const response = await send('rules', { signal });
  return ((await response.json()) as { rules: RuleView[] }).rules;
}

export async function createRule(rule: RuleInput): Promise<RuleView> {
  const response = await send('rules', {
    method: 'POST',
    headers: JSON_HEADERS,
    body: JSON.stringify(rule),
  });
  return (await response.json()) as RuleView;
}

export async function replaceRule(id: string, rule: RuleInput): Promise<RuleView> {
  const response = await send(`rules/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: JSON_HEADERS,
    body: JSON.stringify(rule),
  });
  return (await response.json()) as RuleView;
}

export async function setRuleEnabled(id: string, enabled: boolean): Promise<void> {
  await send(`rules/${encodeURIComponent(id)}/enabled`, {
    method: 'PUT',
    headers: JSON_HEADERS,
    body: JSON.stringify({ enabled }),
  });
}

export async function resetRuleCounters(id: string): Promise<void> {
  await send(`rules/${encodeURIComponent(id)}/reset`, { method: 'POST' });
}

export async function deleteRule(id: string): Promise<void> {
  await send(`rules/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

export async function getIntake(signal?: AbortSignal): Promise<IntakeState> {
  const response = await send('intake', { signal });
  return (await response.json()) as IntakeState;
}

export async function setIntake(paused: boolean, code: 421 | 451): Promise<IntakeState> {
  const response = await send('intake', {
    method: 'PUT',
    headers: JSON_HEADERS,
    body: JSON.stringify({ paused, code }),
  });
  return (await response.json()) as IntakeState;
}
