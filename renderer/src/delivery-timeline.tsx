import type { DeliveryView, TraceEventRecord } from '../../src/http/api-types.js';
import {
  describeAbortKind,
  formatDateTime,
  formatMailFrom,
  formatOffset,
  formatSize,
  isolate,
} from './format.js';

/** Maximum transcript lines rendered. A longer session shows its first lines. */
const MAX_TRANSCRIPT_LINES = 5000;

interface TimelineStep {
  label: string;
  detail: string | null;
  tone: 'neutral' | 'good' | 'bad';
  /** Name of the failure rule that decided the step, if one did. */
  rule?: string;
}

/** Renders the steps of a delivery with their times and SMTP replies, beside the transcript. */
export function DeliveryTimeline({ view }: { view: DeliveryView }) {
  const transcript = view.transcript.slice(0, MAX_TRANSCRIPT_LINES);
  return (
    <div className="timeline-layout">
      <section aria-labelledby="timeline-heading">
        <h3 id="timeline-heading">Timeline</h3>
        <p className="muted">Started {formatDateTime(view.startedAt)}; times are relative to it.</p>
        <ol className="timeline" aria-labelledby="timeline-heading">
          {view.events.map((event) => {
            const step = describeStep(event);
            return (
              <li key={event.seq} className={`step step-${step.tone}`}>
                <span className="step-time">{formatOffset(event.at - view.startedAt)}</span>
                <span className="step-label">{step.label}</span>
                {step.detail && <span className="step-detail">{step.detail}</span>}
                {step.rule && <span className="step-rule">rule: {step.rule}</span>}
              </li>
            );
          })}
          {view.state === 'in-progress' && (
            <li className="step step-neutral">
              <span className="step-time" />
              <span className="step-label">in progress…</span>
            </li>
          )}
        </ol>
      </section>

      <section aria-labelledby="transcript-heading" className="transcript-section">
        <h3 id="transcript-heading">SMTP session transcript</h3>
        {transcript.length === 0 && <p className="muted">No transcript was recorded.</p>}
        <ol className="transcript" aria-labelledby="transcript-heading">
          {transcript.map((line) => (
            <li key={line.seq} className={`line line-${line.direction}`}>
              <span className="line-time">{formatOffset(line.at - view.startedAt)}</span>
              <span className="line-direction">{line.direction}:</span>
              <span className="line-text">{line.text}</span>
            </li>
          ))}
        </ol>
        {view.transcript.length > transcript.length && (
          <p className="muted">
            Showing the first {transcript.length} of {view.transcript.length} lines.
          </p>
        )}
      </section>
    </div>
  );
}

/** Describes one stored trace event for people, with the rule behind it. */
function describeStep(event: TraceEventRecord): TimelineStep {
  const step = describeEvent(event);
  const reason = event.data.reason as Record<string, unknown> | undefined;
  const rule = (event.data.rule ?? reason?.rule) as { name?: unknown } | undefined;
  return typeof rule?.name === 'string' ? { ...step, rule: rule.name } : step;
}

/** Describes one stored trace event for people. An unknown type shows its data as JSON. */
function describeEvent(event: TraceEventRecord): TimelineStep {
  const data = event.data;
  switch (event.type) {
    case 'delivery.started':
      return {
        label: 'started',
        detail: `MAIL FROM ${isolate(formatMailFrom(text(data.mailFrom)))}`,
        tone: 'neutral',
      };
    case 'rcpt': {
      const status = text(data.status);
      return {
        label: `recipient ${status}`,
        detail: `${isolate(text(data.address))} (${formatReply(data.reply)})`,
        tone: status === 'rejected' ? 'bad' : 'neutral',
      };
    }
    case 'body.received': {
      const warnings = Array.isArray(data.warnings) ? data.warnings.length : 0;
      const size = typeof data.size === 'number' ? formatSize(data.size) : '';
      const note = warnings > 0 ? `, ${warnings} parse warning${warnings === 1 ? '' : 's'}` : '';
      return { label: 'body received', detail: `${size}${note}`, tone: 'neutral' };
    }
    case 'body.failed':
      return {
        label: 'body failed',
        detail: `${formatReply(data.reply)}: ${text(data.error)}`,
        tone: 'bad',
      };
    case 'delivery.committed':
      return { label: 'committed', detail: formatReply(data.reply), tone: 'good' };
    case 'delivery.aborted': {
      const reason = (data.reason ?? {}) as Record<string, unknown>;
      return {
        label: `aborted: ${describeAbortKind(text(reason.kind))}`,
        detail: text(reason.detail),
        tone: 'bad',
      };
    }
    default:
      return { label: event.type, detail: JSON.stringify(data), tone: 'neutral' };
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function formatReply(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const reply = value as Record<string, unknown>;
  return [reply.code, reply.enhancedCode, reply.message].filter((part) => part).join(' ');
}
