import type { DeliveryState } from '../../src/http/api-types.js';
import { describeAbortKind } from './format.js';

export const OUTCOME_LABELS: Record<DeliveryState, string> = {
  'in-progress': 'in progress',
  committed: 'committed',
  aborted: 'aborted',
  interrupted: 'interrupted',
};

interface OutcomeBadgeProps {
  state: DeliveryState;
  abortKind: string | null;
  abortDetail: string | null;
}

/**
 * Renders the outcome of a delivery. An aborted one names the kind of reason and shows the
 * detail as a tooltip.
 */
export function OutcomeBadge({ state, abortKind, abortDetail }: OutcomeBadgeProps) {
  const reason = state === 'aborted' && abortKind ? `: ${describeAbortKind(abortKind)}` : '';
  return (
    <span className={`badge badge-${state}`} title={abortDetail ?? undefined}>
      {OUTCOME_LABELS[state]}
      {reason}
    </span>
  );
}
