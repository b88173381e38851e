import { afterEach, describe, expect, it } from 'vitest';

import type { TranscriptLine } from '../../src/delivery/events.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { startEndpoint, type EndpointHarness } from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let client: RawSmtpClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
});

/** Sends `count` NOOPs in one burst, then QUIT, and returns the session's transcript. */
async function floodWithNoops(count: number, line = 'NOOP'): Promise<TranscriptLine[]> {
  ({ client } = await RawSmtpClient.connect(harness!.port));
  client.write(`EHLO flood.example.test\r\n${`${line}\r\n`.repeat(count)}QUIT\r\n`);
  await client.waitForClose(15_000);
  const opened = harness!.events.find((event) => event.type === 'session.opened');
  const sessionId = (opened as { sessionId: string }).sessionId;
  await harness!.target.waitFor(() =>
    harness!.sessionEvents(sessionId).some((event) => event.type === 'session.closed'),
  );
  return harness!
    .sessionEvents(sessionId)
    .flatMap((event) => (event.type === 'session.transcript' ? event.lines : []));
}

function ehloReplyLines(lines: TranscriptLine[]): number {
  return lines.filter((line) => line.direction === 'S' && line.text.startsWith('250-')).length + 1;
}

describe('transcript without a per-session cap', () => {
  it('stops at the line cap and notes what was left out', async () => {
    harness = await startEndpoint({ transcriptLimits: { maxLines: 50, maxBytes: 1_000_000 } });

    const lines = await floodWithNoops(1000);

    // Greeting, EHLO and its multi-line reply, 1000 NOOPs and their replies, QUIT and
    // its reply.
    const total = 1 + 1 + ehloReplyLines(lines) + 2000 + 2;
    expect(lines).toHaveLength(51);
    expect(lines[0]?.text).toMatch(/^220 /);
    const marker = lines.at(-1)!;
    expect(marker.direction).toBe('I');
    expect(marker.text).toContain('Transcript limit reached (50 lines or 1000000 bytes');
    expect(marker.text).toContain(`${total - 50} more lines`);
  });

  it('stops at the byte cap', async () => {
    harness = await startEndpoint({ transcriptLimits: { maxLines: 100_000, maxBytes: 4000 } });

    const lines = await floodWithNoops(200, `NOOP ${'x'.repeat(200)}`);

    const recorded = lines.slice(0, -1);
    const bytes = recorded.reduce((sum, line) => sum + Buffer.byteLength(line.text), 0);
    expect(bytes).toBeLessThanOrEqual(4000);
    expect(recorded.length).toBeGreaterThan(10);
    expect(lines.at(-1)?.text).toMatch(
      /^Transcript limit reached .*: \d+ more lines \(\d+ bytes\)/,
    );
  });

  it('adds no marker to a session within the cap', async () => {
    harness = await startEndpoint();

    const lines = await floodWithNoops(10);

    expect(lines).toHaveLength(1 + 1 + ehloReplyLines(lines) + 20 + 2);
    expect(lines.some((line) => line.text.startsWith('Transcript limit'))).toBe(false);
  });
});
