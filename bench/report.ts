import type { IngestResult, IngestScenario } from './ingest.js';
import type { RequestTiming, ScaleFill } from './scale.js';
import type { UiFigures } from './ui.js';

export interface ScaleFigures {
  fill: ScaleFill;
  /** Messages sent over SMTP to the server after it opened the filled store. */
  smtpMessages: number;
  stored: number | null;
  /** Idle RSS of a server started on an empty store. */
  idleEmptyKiB: number;
  /** Idle RSS of a server started on the filled store. */
  idleAfterStartKiB: number;
  /** Idle RSS after the SMTP messages, the UI and the API requests. */
  idleAfterFillKiB: number;
  peakKiB: number;
  dbBytes: number;
  walBytes: number;
  /** Raw bytes of every message stored, filled and sent. */
  rawBytes: number;
  queries: RequestTiming[];
  deletion: { elapsedMs: number; deleted: number; remaining: number | null };
}

const MIB = 1024 * 1024;

/** Formats one table per scenario (rate, memory, stored count per server) with the ratios. */
export function formatIngest(results: IngestResult[], scenarios: IngestScenario[]): string {
  const lines: string[] = [];
  for (const scenario of scenarios) {
    const rows = results.filter((result) => result.scenario === scenario.id);
    if (rows.length === 0) continue;
    const maildev = rows.find((row) => row.server === 'maildev');
    const sink = rows.find((row) => row.server === 'smtp-sink');
    lines.push(
      '',
      `### (${scenario.id}) ${scenario.count} x ${scenario.title}`,
      '',
      '| server | messages/s | MiB/s | CPU ms/message | peak RSS MiB | idle RSS MiB | stored | load | time s |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |',
    );
    for (const row of rows) {
      const stored =
        row.stored === null
          ? 'n/a (discards)'
          : `${row.stored}/${row.expectedStored}${row.stored === row.expectedStored ? '' : ' MISSING'}`;
      lines.push(
        `| ${row.server} | ${fixed(row.messagesPerSecond, row.messagesPerSecond < 10 ? 2 : 0)} | ` +
          `${fixed(row.mibPerSecond, 1)} | ` +
          `${fixed(row.cpuMsPerMessage, 2)} | ` +
          `${fixed(row.peakKiB / 1024, 0)} | ${fixed(row.idleKiB / 1024, 0)} | ${stored} | ` +
          `${row.generator} | ${fixed(row.elapsedMs / 1000, 1)} |`,
      );
    }
    const mailscope = rows.find((row) => row.server === 'mailscope');
    if (mailscope) {
      const ratios: string[] = [];
      if (maildev) {
        ratios.push(
          `${ratio(mailscope.messagesPerSecond, maildev.messagesPerSecond)}x MailDev's rate`,
          `${ratio(mailscope.peakKiB, maildev.peakKiB)}x MailDev's peak memory`,
          `${ratio(mailscope.cpuMsPerMessage, maildev.cpuMsPerMessage)}x MailDev's CPU time per message`,
        );
      }
      if (sink) {
        ratios.push(
          `${fixed((100 * mailscope.messagesPerSecond) / sink.messagesPerSecond, 1)}% of smtp-sink's rate`,
        );
      }
      if (ratios.length > 0) lines.push('', `Mailscope: ${ratios.join(', ')}.`);
      if (mailscope.latency) {
        const latency = mailscope.latency;
        lines.push(
          '',
          `Live latency (250 reply to delivery.committed on an SSE client, ` +
            `${latency.samples} probe messages during the load): p50 ${fixed(latency.p50Ms, 1)} ms, ` +
            `p99 ${fixed(latency.p99Ms, 1)} ms, max ${fixed(latency.maxMs, 1)} ms.`,
        );
      }
    }
    for (const row of rows) {
      if (row.error) lines.push('', `${row.server} error: ${row.error}`);
    }
  }
  return lines.join('\n');
}

export function formatScale(scale: ScaleFigures): string {
  const lines = [
    `## Mailscope at ${scale.stored ?? scale.fill.messages + scale.smtpMessages} stored messages`,
    '',
    `Filled with ${scale.fill.messages} generated messages (bench/fill-store.ts) in ` +
      `${fixed(scale.fill.elapsedMs / 1000, 1)} s: ${scale.fill.imported} through the core's ` +
      `import path (${fixed(scale.fill.importMs / 1000, 1)} s), the others copied from them ` +
      `with SQL (${fixed(scale.fill.copyMs / 1000, 1)} s) and indexed for search by the ` +
      `store's code (${fixed(scale.fill.indexMs / 1000, 1)} s). Then ${scale.smtpMessages} ` +
      `more over SMTP; the API lists ${scale.stored}.`,
    '',
    '| request | matches | median ms | p95 ms | max ms |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...scale.queries.map(
      (query) =>
        `| ${query.name} | ${query.matches ?? ''} | ${fixed(query.medianMs, 1)} | ` +
        `${fixed(query.p95Ms, 1)} | ${fixed(query.maxMs, 1)} |`,
    ),
    `| delete all (DELETE /messages) | ${scale.deletion.deleted} | ` +
      `${fixed(scale.deletion.elapsedMs, 0)} | | |`,
    '',
    `Messages left after delete all: ${scale.deletion.remaining}.`,
    '',
    `Database: ${fixed(scale.dbBytes / MIB, 1)} MiB file + ${fixed(scale.walBytes / MIB, 1)} MiB ` +
      `WAL and shared memory, for ${fixed(scale.rawBytes / MIB, 1)} MiB of raw messages ` +
      `(${ratio(scale.dbBytes + scale.walBytes, scale.rawBytes)}x).`,
    '',
    `Idle RSS: ${fixed(scale.idleEmptyKiB / 1024, 0)} MiB after start on an empty store, ` +
      `${fixed(scale.idleAfterStartKiB / 1024, 0)} MiB after start on the filled store, ` +
      `${fixed(scale.idleAfterFillKiB / 1024, 0)} MiB after the SMTP messages, the UI and ` +
      `the requests; peak ${fixed(scale.peakKiB / 1024, 0)} MiB.`,
  ];
  return lines.join('\n');
}

export function formatUi(ui: UiFigures): string {
  return [
    '## Inspector UI in Chromium',
    '',
    `First list row rendered ${fixed(ui.firstRowMs, 0)} ms after navigation start.`,
    `Scrolling ${ui.scrollFrames} frames (${ui.scrolledPx} px, ${ui.rowsLoaded} rows in the ` +
      `list at the end): longest frame ${fixed(ui.longestFrameMs, 1)} ms, ` +
      `${ui.framesOver50Ms} frames over 50 ms, ${ui.longTasks} long tasks.`,
  ].join('\n');
}

/** Elapsed time of one step of the bench run. */
export interface StepTime {
  name: string;
  elapsedMs: number;
}

/** Formats the elapsed time of each step and of the whole run. */
export function formatStepTimes(steps: StepTime[], totalMinutes: number): string {
  return [
    '## Elapsed time',
    '',
    '| step | time s |',
    '| --- | ---: |',
    ...steps.map((step) => `| ${step.name} | ${fixed(step.elapsedMs / 1000, 1)} |`),
    `| whole run (without the build) | ${fixed(totalMinutes * 60, 1)} |`,
    '',
    `Total time: ${fixed(totalMinutes, 1)} min`,
  ].join('\n');
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function ratio(value: number, reference: number): string {
  return fixed(value / reference, 2);
}
