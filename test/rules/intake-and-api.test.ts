import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { IntakeState, LiveEvent, RuleView } from '../../src/http/api-types.js';
import { startServerProcess } from '../support/server-process.js';
import { sendWithNodemailer, startRulesCore, type RulesCore } from './helpers.js';

describe('pause intake', () => {
  let server: RulesCore;
  beforeEach(async () => {
    server = await startRulesCore();
  });
  afterEach(async () => {
    await server.close();
  });

  it('answers 451 then 421 until resumed', async () => {
    const paused = await server.api<IntakeState>('PUT', '/intake', { paused: true, code: 451 });
    expect(paused.body).toMatchObject({ paused: true, code: 451 });
    expect(paused.body.since).toBeTypeOf('number');

    const first = await server.send();
    expect(first.code).toBe(451);
    expect(first.response).toContain('4.3.2 Mailscope intake is paused');

    await server.api('PUT', '/intake', { paused: true, code: 421 });
    expect((await server.send()).code).toBe(421);

    const resumed = await server.api<IntakeState>('PUT', '/intake', { paused: false });
    expect(resumed.body).toEqual({ paused: false, code: 421, since: null });
    expect((await server.send()).code).toBe(250);

    const page = await server.deliveries();
    expect(page.total).toBe(1);
    const replay = server.core.liveEvents.replayAfter(0);
    const intakeEvents =
      replay.kind === 'events'
        ? replay.events.filter(
            (event): event is Extract<LiveEvent, { type: 'intake.changed' }> =>
              event.type === 'intake.changed',
          )
        : [];
    expect(intakeEvents.map((event) => event.intake.paused)).toEqual([true, true, false]);
  });

  it('rejects an invalid code', async () => {
    const result = await server.api<{ error: string }>('PUT', '/intake', {
      paused: true,
      code: 500,
    });
    expect(result.status).toBe(400);
    expect(result.body.error).toContain('expected 421 or 451');
  });
});

describe('rules API', () => {
  let server: RulesCore;
  beforeEach(async () => {
    server = await startRulesCore();
  });
  afterEach(async () => {
    await server.close();
  });

  const rule = {
    name: 'Fail bob',
    stage: 'rcpt',
    match: { recipient: 'bob@example.test' },
    action: { type: 'reply', code: 451, enhancedCode: '4.7.1', message: 'Later' },
  };

  it('creates, disables, resets and deletes', async () => {
    const created = await server.createRule(rule);
    expect(created.id).toBe('fail-bob');
    expect(created.trigger).toEqual({ type: 'always' });
    expect(created.counters.matches).toBe(0);

    const duplicate = await server.api('POST', '/rules', rule);
    expect(duplicate.status).toBe(409);

    expect((await server.send({ to: 'bob@example.test' })).code).toBe(451);
    const disabled = await server.api<RuleView>('PUT', '/rules/fail-bob/enabled', {
      enabled: false,
    });
    expect(disabled.body.enabled).toBe(false);
    expect(disabled.body.counters).toMatchObject({ matches: 1, fired: 1 });
    expect((await server.send({ to: 'bob@example.test' })).code).toBe(250);

    const reset = await server.api<RuleView>('POST', '/rules/fail-bob/reset');
    expect(reset.body.counters).toMatchObject({ matches: 0, fired: 0 });

    const deleted = await server.api('DELETE', '/rules/fail-bob');
    expect(deleted.status).toBe(204);
    expect((await server.api('GET', '/rules/fail-bob')).status).toBe(404);
  });

  it('rejects invalid rules with the field name', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...rule, stage: 'quit' }, 'rule.stage must be one of'],
      [{ ...rule, match: { subject: 'x' } }, 'rule.match.subject has no value at stage "rcpt"'],
      [{ ...rule, action: { type: 'reply', code: 250 } }, 'rule.action.code must be'],
      [
        { ...rule, action: { type: 'reply', code: 451, enhancedCode: '5.1.1' } },
        'rule.action.enhancedCode',
      ],
      [{ ...rule, action: { type: 'delay', delayMs: 3_600_000 } }, 'rule.action.delayMs'],
      [{ ...rule, match: { recipient: { type: 'regex', value: '(a' } } }, 'not a valid pattern'],
      [
        { ...rule, match: { recipient: { type: 'regex', value: '(a)\\1' } } },
        'not a valid pattern',
      ],
      [{ ...rule, trigger: { type: 'probability', probability: 2 } }, 'probability must be'],
    ];
    for (const [body, message] of cases) {
      const result = await server.api<{ error: string }>('POST', '/rules', body);
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect(result.body.error).toContain(message);
    }
  });

  it('lists deliveries aborted by a rule', async () => {
    await server.createRule(rule);
    await server.send({ to: 'bob@example.test' });
    await server.send({ to: 'carol@example.test' });
    await expect.poll(async () => (await server.deliveries('?rule=fail-bob')).total).toBe(1);
    expect((await server.deliveries('?rule=*')).total).toBe(1);
    expect((await server.deliveries('?rule=other')).total).toBe(0);
    expect((await server.deliveries()).total).toBe(2);
  });
});

describe('Mailpit chaos API', () => {
  let server: RulesCore;
  beforeEach(async () => {
    server = await startRulesCore();
  });
  afterEach(async () => {
    await server.close();
  });

  it('maps triggers onto rules', async () => {
    const initial = await fetch(`${server.baseUrl}/api/v1/chaos`);
    expect(await initial.json()).toEqual({
      Sender: { ErrorCode: 451, Probability: 0 },
      Recipient: { ErrorCode: 451, Probability: 0 },
      Authentication: { ErrorCode: 535, Probability: 0 },
    });

    const put = await fetch(`${server.baseUrl}/api/v1/chaos`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Recipient: { ErrorCode: 452, Probability: 100 } }),
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { Recipient: unknown }).Recipient).toEqual({
      ErrorCode: 452,
      Probability: 100,
    });
    expect((await server.send()).code).toBe(452);

    const rules = await server.api<{ rules: RuleView[] }>('GET', '/rules');
    const recipient = rules.body.rules.find((entry) => entry.id === 'mailpit-chaos-recipient');
    expect(recipient?.enabled).toBe(true);
    expect(recipient?.counters.fired).toBe(1);

    const invalid = await fetch(`${server.baseUrl}/api/v1/chaos`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Sender: { ErrorCode: 200, Probability: 10 } }),
    });
    expect(invalid.status).toBe(400);

    await fetch(`${server.baseUrl}/api/v1/chaos`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect((await server.send()).code).toBe(250);
  });
});

describe('rules file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mailscope-rules-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads rules at start', async () => {
    const file = path.join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify({
        rules: [
          {
            id: 'greylist-all',
            name: 'Greylist everything',
            stage: 'rcpt',
            action: { type: 'reply', code: 451, enhancedCode: '4.7.1', message: 'Greylisted' },
            trigger: { type: 'greylist', waitMs: 60_000 },
          },
          {
            name: 'Off by default',
            enabled: false,
            stage: 'mail',
            action: { type: 'drop' },
          },
        ],
      }),
    );
    const child = await startServerProcess(['--db', ':memory:', '--rules', file]);
    try {
      const base = `http://127.0.0.1:${child.http.port}/api/mailscope`;
      const listed = (await (await fetch(`${base}/rules`)).json()) as { rules: RuleView[] };
      expect(listed.rules.map((entry) => [entry.id, entry.enabled])).toEqual([
        ['greylist-all', true],
        ['off-by-default', false],
      ]);
      const result = await sendWithNodemailer(child.smtp.port);
      expect(result.code).toBe(451);
      expect(result.response).toContain('4.7.1 Greylisted');
    } finally {
      child.child.kill('SIGTERM');
      await child.exited;
    }
  }, 40_000);

  it('stops with the invalid field named', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify([{ name: 'x', stage: 'rcpt', action: { type: 'nap' } }]));
    await expect(startServerProcess(['--db', ':memory:', '--rules', file], 30_000)).rejects.toThrow(
      /Invalid rules file .*bad\.json: rules\[0\]\.action\.type must be reply, delay, drop or accept/,
    );
  }, 40_000);
});

describe('pause intake over HTTP', () => {
  let server: RulesCore;
  beforeEach(async () => {
    server = await startRulesCore();
  });
  afterEach(async () => {
    await server.close();
  });

  const sendRequest = {
    From: { Email: 'app@example.test' },
    To: [{ Email: 'user@example.test' }],
    Subject: 'Paused',
    Text: 'Hello',
  };
  const rawMessage =
    'From: app@example.test\r\nTo: user@example.test\r\nSubject: Paused\r\n\r\nHello\r\n';

  const postSend = () =>
    fetch(`${server.baseUrl}/api/v1/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sendRequest),
    });
  const postImport = () =>
    fetch(`${server.baseUrl}/api/mailscope/import`, {
      method: 'POST',
      headers: { 'content-type': 'message/rfc822' },
      body: rawMessage,
    });

  it('rejects send and import while paused', async () => {
    await server.api('PUT', '/intake', { paused: true, code: 451 });

    const send = await postSend();
    expect(send.status).toBe(503);
    const sendBody = (await send.json()) as { Error: string };
    expect(sendBody.Error).toContain('Intake is paused');

    const imported = await postImport();
    expect(imported.status).toBe(503);
    const importBody = (await imported.json()) as { error: string };
    expect(importBody.error).toContain('Intake is paused');

    expect((await server.deliveries()).total).toBe(0);
  });

  it('stores again after resume', async () => {
    await server.api('PUT', '/intake', { paused: true });
    await server.api('PUT', '/intake', { paused: false });

    expect((await postSend()).status).toBe(200);
    expect((await postImport()).status).toBe(201);
    expect((await server.deliveries()).total).toBe(2);
  });
});
