import { CommitWatcher, quantile } from './live-events.js';
import { generatedMessage } from './messages.js';
import type { BenchServer } from './servers.js';
import { sendLoad, type LoadMessage } from './smtp-load.js';
import type { Tools } from './tools.js';

const MIB = 1024 * 1024;

export interface IngestScenario {
  id: string;
  title: string;
  sessions: number;
  count: number;
  /** Payload length of each generated message; null sends the corpus instead. */
  bodyBytes: number | null;
}

export const SCENARIOS: IngestScenario[] = [
  { id: 'a', title: '2 KB messages, 1 session', sessions: 1, count: 5000, bodyBytes: 2000 },
  { id: 'b', title: '2 KB messages, 20 sessions', sessions: 20, count: 20_000, bodyBytes: 2000 },
  { id: 'c', title: '1 MiB messages, 1 session', sessions: 1, count: 200, bodyBytes: MIB },
  { id: 'd', title: '20 MiB messages, 1 session', sessions: 1, count: 20, bodyBytes: 20 * MIB },
  { id: 'e', title: 'corpus messages, 1 session', sessions: 1, count: 200, bodyBytes: null },
];

export interface LatencyFigures {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface IngestResult {
  scenario: string;
  server: string;
  /** Program that sent the load. */
  generator: string;
  messages: number;
  bytes: number;
  elapsedMs: number;
  messagesPerSecond: number;
  mibPerSecond: number;
  /** Messages the server's API lists afterwards; null for smtp-sink, which keeps none. */
  stored: number | null;
  expectedStored: number;
  idleKiB: number;
  peakKiB: number;
  /** Server CPU time (user and system) per message, in milliseconds. */
  cpuMsPerMessage: number;
  latency: LatencyFigures | null;
  error: string | null;
}

/** Time one scenario may take on one server before the run counts as failed. */
const RUN_TIMEOUT_MS = 1_200_000;

/**
 * Sends one scenario's load to `server` and measures the rate and the server's peak
 * memory. With `measureLatency`, a probe session beside the load measures the live event
 * latency too.
 */
export async function runIngest(
  server: BenchServer,
  scenario: IngestScenario,
  tools: Tools,
  corpus: LoadMessage[] | null,
  measureLatency: boolean,
): Promise<IngestResult> {
  const idleKiB = server.memory().rssKiB;
  const cpuBefore = server.cpuMs();
  const useSmtpSource = scenario.bodyBytes !== null && tools.smtpSource !== null;
  const watcher = measureLatency ? new CommitWatcher() : null;
  if (watcher && server.httpBase) await watcher.open(`${server.httpBase}/api/mailscope`);

  let loadDone = false;
  const probe = watcher ? startProbe(server, () => loadDone) : null;

  let load: { messages: number; bytes: number; elapsedMs: number; error: string | null };
  try {
    load = useSmtpSource
      ? await runSmtpSource(server, scenario, tools)
      : await runNodeGenerator(server, scenario, corpus);
  } finally {
    loadDone = true;
  }
  const probeResult = probe ? await probe.done : null;
  const peakKiB = server.memory().peakKiB;
  const cpuMs = server.cpuMs() - cpuBefore;

  let latency: LatencyFigures | null = null;
  if (watcher && probeResult) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await watcher.close();
    const delays: number[] = [];
    for (const [id, repliedAt] of probeResult.repliedAt) {
      const eventAt = watcher.committedAt.get(id);
      if (eventAt !== undefined) delays.push(eventAt - repliedAt);
    }
    latency = {
      samples: delays.length,
      p50Ms: quantile(delays, 0.5),
      p99Ms: quantile(delays, 0.99),
      maxMs: quantile(delays, 1),
    };
  }

  const expectedStored = load.messages + (probeResult?.accepted ?? 0);
  const stored = await waitForStored(server, expectedStored);
  const seconds = load.elapsedMs / 1000;
  return {
    scenario: scenario.id,
    server: server.kind,
    generator: useSmtpSource ? 'smtp-source' : 'bench/smtp-load.ts',
    messages: load.messages,
    bytes: load.bytes,
    elapsedMs: load.elapsedMs,
    messagesPerSecond: load.messages / seconds,
    mibPerSecond: load.bytes / MIB / seconds,
    stored,
    expectedStored,
    idleKiB,
    peakKiB,
    cpuMsPerMessage: cpuMs / (load.messages + (probeResult?.accepted ?? 0)),
    latency,
    error: load.error,
  };
}

/**
 * Approximate bytes that smtp-source sends for a payload of `length`: its five header
 * lines (about 170 bytes) and the payload with CRLF line ends, one line per 80 bytes.
 */
function smtpSourceMessageBytes(length: number): number {
  return 170 + Math.round((length * 81) / 80);
}

async function runSmtpSource(
  server: BenchServer,
  scenario: IngestScenario,
  tools: Tools,
): Promise<{ messages: number; bytes: number; elapsedMs: number; error: string | null }> {
  const source = tools.smtpSource;
  if (source === null || scenario.bodyBytes === null) throw new Error('smtp-source unavailable');
  const started = performance.now();
  const child = source.spawn([
    '-s',
    String(scenario.sessions),
    '-m',
    String(scenario.count),
    '-d',
    '-l',
    String(scenario.bodyBytes),
    '-M',
    'bench.example.test',
    '-f',
    'load@bench.example.test',
    '-t',
    'inbox@bench.example.test',
    '-S',
    `Bench scenario ${scenario.id}`,
    `127.0.0.1:${server.smtpPort}`,
  ]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;
  return {
    messages: scenario.count,
    bytes: scenario.count * smtpSourceMessageBytes(scenario.bodyBytes),
    elapsedMs,
    error: code === 0 ? null : `smtp-source exited with ${code}: ${stderr.trim().slice(0, 300)}`,
  };
}

async function runNodeGenerator(
  server: BenchServer,
  scenario: IngestScenario,
  corpus: LoadMessage[] | null,
): Promise<{ messages: number; bytes: number; elapsedMs: number; error: string | null }> {
  let message: (index: number) => LoadMessage;
  let count = scenario.count;
  if (scenario.bodyBytes === null) {
    if (corpus === null) throw new Error('corpus unavailable');
    const messages = corpus;
    count = messages.length;
    message = (index) => messages[index] as LoadMessage;
  } else {
    // Like smtp-source, every message of a scenario has the same content.
    const template = generatedMessage(0, scenario.bodyBytes);
    message = () => template;
  }
  try {
    const result = await sendLoad({
      host: '127.0.0.1',
      port: server.smtpPort,
      sessions: scenario.sessions,
      count,
      message,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    const error =
      result.rejected.length === 0
        ? null
        : `${result.rejected.length} rejected, first: ${result.rejected[0]?.reply.trim()}`;
    return { messages: result.accepted, bytes: result.bytes, elapsedMs: result.elapsedMs, error };
  } catch (error) {
    return { messages: 0, bytes: 0, elapsedMs: Number.NaN, error: (error as Error).message };
  }
}

/** One session that sends a small message every 5 ms until `stop` returns true. */
function startProbe(
  server: BenchServer,
  stop: () => boolean,
): { done: Promise<{ accepted: number; repliedAt: Map<string, number> }> } {
  const repliedAt = new Map<string, number>();
  const done = sendLoad({
    host: '127.0.0.1',
    port: server.smtpPort,
    sessions: 1,
    count: 100_000,
    delayMs: 5,
    until: stop,
    message: (index) => generatedMessage(index, 500),
    onReply(_index, reply, atMs) {
      const id = /queued as (\S+)/.exec(reply)?.[1];
      if (id !== undefined) repliedAt.set(id, atMs);
    },
    timeoutMs: RUN_TIMEOUT_MS,
  }).then(
    (result) => ({ accepted: result.accepted, repliedAt }),
    // A probe that fails (the load outlasted its timeout) still reports what it measured.
    () => ({ accepted: repliedAt.size, repliedAt }),
  );
  return { done };
}

/**
 * Polls the server's API until it lists `expected` messages, or until the count stops
 * growing for 10 s; returns the last count.
 */
async function waitForStored(server: BenchServer, expected: number): Promise<number | null> {
  let last = await server.countStored();
  if (last === null) return null;
  let lastChange = Date.now();
  while (last < expected && Date.now() - lastChange < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const count = (await server.countStored()) ?? 0;
    if (count !== last) lastChange = Date.now();
    last = count;
  }
  return last;
}
