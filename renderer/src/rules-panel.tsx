import { useState } from 'react';

import './rules.css';

import type { RuleInput, RuleTrigger, RuleView } from '../../src/http/api-types.js';
import { ModalDialog } from './app-dialog.js';
import { useResource } from './fetch-resource.js';
import { RuleForm, STAGE_LABELS } from './rules-form.js';
import {
  createRule,
  deleteRule,
  listRules,
  replaceRule,
  resetRuleCounters,
  setRuleEnabled,
} from './rules-api.js';

/**
 * Renders the failure rules, each with its switch, counters and actions, and the add or
 * edit form.
 * `version` changes when the live events report a rule change or a delivery step, so the
 * counters stay current.
 */
export function RulesPanel({ version, onClose }: { version: number; onClose(): void }) {
  const [localVersion, setLocalVersion] = useState(0);
  const rules = useResource('rules', version + localVersion, listRules);
  const [editing, setEditing] = useState<RuleView | 'new' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => setLocalVersion((current) => current + 1);

  const run = (work: Promise<unknown>) => {
    setError(null);
    work.then(reload, (failure: Error) => setError(failure.message));
  };

  const save = async (input: RuleInput) => {
    if (editing === 'new') await createRule(input);
    else if (editing !== null) await replaceRule(editing.id, input);
    setEditing(null);
    reload();
  };

  return (
    <ModalDialog title="Failure rules" onClose={onClose} className="rules-dialog">
      <p className="muted">
        Rules make Mailscope fail on purpose. The first enabled rule that matches a step and fires
        decides the reply. Counters count since start or the last reset.
      </p>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      {editing !== null ? (
        <RuleForm
          rule={editing === 'new' ? null : editing}
          onSave={save}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <>
          <table className="rules-table" aria-label="Rules">
            <thead>
              <tr>
                <th>On</th>
                <th>Rule</th>
                <th>Stage</th>
                <th>Action</th>
                <th>Trigger</th>
                <th>Counters</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(rules.data ?? []).map((rule) => (
                <tr key={rule.id} className={rule.enabled ? '' : 'rule-off'}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Enable ${rule.name}`}
                      checked={rule.enabled}
                      onChange={(event) => run(setRuleEnabled(rule.id, event.target.checked))}
                    />
                  </td>
                  <td>{rule.name}</td>
                  <td>{STAGE_LABELS[rule.stage]}</td>
                  <td>{describeAction(rule)}</td>
                  <td>{describeTrigger(rule.trigger)}</td>
                  <td aria-label={`Counters of ${rule.name}`}>
                    matched {rule.counters.matches}, fired {rule.counters.fired}
                  </td>
                  <td className="rule-buttons">
                    <button type="button" onClick={() => setEditing(rule)}>
                      Edit
                    </button>
                    <button type="button" onClick={() => run(resetRuleCounters(rule.id))}>
                      Reset
                    </button>
                    <button
                      type="button"
                      className="danger"
                      onClick={() => run(deleteRule(rule.id))}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {rules.data?.length === 0 && <p className="muted">No rules yet.</p>}
          <div className="dialog-buttons">
            <button type="button" onClick={onClose}>
              Close
            </button>
            <button type="button" className="primary" onClick={() => setEditing('new')}>
              Add rule
            </button>
          </div>
        </>
      )}
    </ModalDialog>
  );
}

function describeAction(rule: RuleView): string {
  const { action } = rule;
  const delay = 'delayMs' in action && action.delayMs ? ` after ${action.delayMs} ms` : '';
  switch (action.type) {
    case 'reply':
      return `${action.code} ${action.enhancedCode} ${action.message}${delay}`;
    case 'delay':
      return `delay ${action.delayMs} ms`;
    case 'drop':
      return `drop the connection${delay}`;
    case 'accept':
      return 'accept';
  }
}

function describeTrigger(trigger: RuleTrigger): string {
  switch (trigger.type) {
    case 'always':
      return 'always';
    case 'once':
      return 'once';
    case 'first-n':
      return `first ${trigger.n}`;
    case 'every-nth':
      return `every ${trigger.n}th`;
    case 'probability':
      return `${Math.round(trigger.probability * 1000) / 10} %`;
    case 'greylist':
      return `greylist, ${trigger.waitMs / 1000} s`;
  }
}
