/**
 * Runs Mailscope's benchmarks and prints every figure as Markdown tables, with Mailscope's
 * figures as ratios to MailDev and Postfix's smtp-sink. Usage:
 *
 *   npm run bench [-- --only ingest,scale,ui] [--scenarios a,b,c,d,e]
 *                 [--servers mailscope,maildev,smtp-sink] [--scale-messages 100000]
 *                 [--fraction 1]
 *
 * It expects a built dist/ (`npm run bench` builds it first) and writes the figures as
 * JSON to bench/.out/results.json as well.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { runIngest, SCENARIOS, type IngestResult } from './ingest.js';
import { readCorpus, corpusFolder } from './messages.js';
import {
  formatIngest,
  formatScale,
  formatStepTimes,
  formatUi,
  type ScaleFigures,
  type StepTime,
} from './report.js';
import {
  checkFilledStore,
  databaseSize,
  deleteAll,
  fillStore,
  sendGenerated,
  timeQueries,
} from './scale.js';
import { startServer, type ServerKind } from './servers.js';
import { prepareTools, ROOT, type Tools } from './tools.js';
import { measureUi, type UiFigures } from './ui.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'ingest,scale,ui' },
    scenarios: { type: 'string', default: SCENARIOS.map((scenario) => scenario.id).join(',') },
    servers: { type: 'string', default: 'mailscope,maildev,smtp-sink' },
    'scale-messages': { type: 'string', default: '100000' },
    fraction: { type: 'string', default: '1' },
  },
});

const sections = new Set(values.only.split(','));
const serverKinds = values.servers.split(',') as ServerKind[];
const scaleMessages = Number(values['scale-messages']);
/** Share of each ingest scenario's message count to send, for a quick or a busy machine. */
const fraction = Number(values.fraction);
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** Elapsed time of each step of the run, in the order they ran. */
const stepTimes: StepTime[] = [];

/** Runs `work` as the step `name` and records its elapsed time, also when it fails. */
async function timed<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const elapsedMs = performance.now() - started;
    stepTimes.push({ name, elapsedMs });
    log(`${name}: ${(elapsedMs / 1000).toFixed(1)} s`);
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const tools = await timed('tools', () => prepareTools(log));
  const machine = describeMachine(tools.maildevVersion, tools.smtpSink.version);
  process.stdout.write(`${machine}\n`);

  const ingest: IngestResult[] = [];
  if (sections.has('ingest')) {
    const corpus = readCorpus();
    process.stdout.write('\n## SMTP ingest\n');
    const chosen = SCENARIOS.filter((s) => values.scenarios.split(',').includes(s.id)).map(
      (scenario) => ({ ...scenario, count: Math.max(1, Math.round(scenario.count * fraction)) }),
    );
    for (const scenario of chosen) {
      if (scenario.bodyBytes === null && corpus === null) {
        log(`scenario ${scenario.id} skipped: no corpus at ${corpusFolder()}/messages`);
        continue;
      }
      for (const kind of serverKinds) {
        log(`scenario ${scenario.id} (${scenario.count} x ${scenario.title}) on ${kind}`);
        await timed(`ingest (${scenario.id}) on ${kind}`, async () => {
          const server = await startServer(kind, tools);
          try {
            const measureLatency = kind === 'mailscope' && scenario.id === 'b';
            const result = await runIngest(server, scenario, tools, corpus, measureLatency);
            ingest.push(result);
            if (result.error) log(`  error: ${result.error}`);
          } finally {
            await server.stop();
          }
        });
      }
      // Each scenario's table as soon as it is complete, so a stopped run keeps its figures.
      process.stdout.write(`\n${formatIngest(ingest, [scenario])}\n`);
    }
  }

  let scale: ScaleFigures | null = null;
  let ui: UiFigures | null = null;
  if (sections.has('scale') || sections.has('ui')) {
    ({ scale, ui } = await runScale(tools));
    if (scale) process.stdout.write(`\n${formatScale(scale)}\n`);
    if (ui) process.stdout.write(`\n${formatUi(ui)}\n`);
  }

  const minutes = (performance.now() - started) / 60_000;
  process.stdout.write(`\n${formatStepTimes(stepTimes, minutes)}\n`);
  const outDir = path.join(ROOT, 'bench', '.out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    path.join(outDir, 'results.json'),
    `${JSON.stringify({ machine, ingest, scale, ui, steps: stepTimes, minutes }, null, 2)}\n`,
  );
}

/** Messages sent over SMTP after the fill, so that the server has ingested some itself. */
const SMTP_AFTER_FILL = 2000;
/**
 * Distinct messages that the fill imports through the core before it copies them: a
 * multiple of 500, so that senders and the rare word keep their shares in the copies.
 */
const FILL_IMPORTED = 5000;

/**
 * Fills a store with `scaleMessages` messages, starts Mailscope on it, sends a few more
 * over SMTP, and measures the UI, the API requests, delete all and memory.
 */
async function runScale(
  tools: Tools,
): Promise<{ scale: ScaleFigures | null; ui: UiFigures | null }> {
  const idleEmptyKiB = await timed('scale: idle memory of an empty store', async () => {
    const empty = await startServer('mailscope', tools);
    try {
      await sleep(3000);
      return empty.memory().rssKiB;
    } finally {
      await empty.stop();
    }
  });

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mailscope-bench-scale-'));
  let scale: ScaleFigures | null = null;
  let ui: UiFigures | null = null;
  try {
    log(`filling a store with ${scaleMessages} messages (bench/fill-store.ts)`);
    const fill = await timed('scale: fill', () => fillStore(dataDir, scaleMessages, FILL_IMPORTED));
    log(
      `imported ${fill.imported} in ${seconds(fill.importMs)}, copied to ${fill.messages} in ` +
        `${seconds(fill.copyMs)}, indexed in ${seconds(fill.indexMs)}`,
    );
    const server = await startServer('mailscope', tools, { dataDir });
    try {
      const { idleAfterStartKiB, smtpBytes } = await timed(
        'scale: start, check, SMTP',
        async () => {
          await sleep(3000);
          const idleKiB = server.memory().rssKiB;
          await checkFilledStore(server, scaleMessages, fill.imported);
          log(`sending ${SMTP_AFTER_FILL} messages over SMTP`);
          const bytes = await sendGenerated(server, SMTP_AFTER_FILL, scaleMessages);
          return { idleAfterStartKiB: idleKiB, smtpBytes: bytes };
        },
      );
      if (sections.has('ui')) {
        log('measuring the UI in Chromium');
        ui = await timed('ui', () => measureUi(`${server.httpBase}/`));
        if (ui === null) log('UI skipped: no Chromium at /usr/bin/chromium');
      }
      if (sections.has('scale')) {
        log('timing API requests');
        const queries = await timed('scale: API requests', () => timeQueries(server));
        // Logged now too, so that a failed delete all below keeps these figures.
        for (const query of queries) log(`  ${query.name}: median ${query.medianMs.toFixed(1)} ms`);
        const stored = await server.countStored();
        await sleep(5000);
        const idleAfterFillKiB = server.memory().rssKiB;
        const size = databaseSize(dataDir);
        log('deleting all messages');
        const deletion = await timed('scale: delete all', () => deleteAll(server));
        scale = {
          fill,
          smtpMessages: SMTP_AFTER_FILL,
          stored,
          idleEmptyKiB,
          idleAfterStartKiB,
          idleAfterFillKiB,
          peakKiB: server.memory().peakKiB,
          ...size,
          rawBytes: fill.rawBytes + smtpBytes,
          queries,
          deletion,
        };
      }
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { scale, ui };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Describes the machine and the programs compared, for the results. */
function describeMachine(maildev: string, sink: string): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const memory = readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1];
  const commit = gitCommit();
  return [
    `Machine: ${os.availableParallelism()} CPUs (nproc), ${cpu}, ` +
      `${memory ? (Number(memory) / 1024 / 1024).toFixed(1) : '?'} GiB RAM, ` +
      `Linux ${os.release()}`,
    `Node.js ${process.version}; Mailscope at ${commit}; ${maildev}; ${sink}`,
    `Load average at start: ${os
      .loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')}`,
  ].join('\n');
}

function gitCommit(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT });
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT });
    return `${commit.toString().trim()}${dirty.length > 0 ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
