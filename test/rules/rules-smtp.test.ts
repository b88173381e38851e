import net from 'node:net';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { DeliveryView, RuleView } from '../../src/http/api-types.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import { SmtpDialogue } from '../support/smtp-dialogue.js';
import { startRulesCore, type RulesCore } from './helpers.js';

const REPLY_451 = { type: 'reply', code: 451, enhancedCode: '4.7.1', message: 'Try later' };

let server: RulesCore;

beforeEach(async () => {
  server = await startRulesCore();
});

afterEach(async () => {
  await server.close();
});

/** Returns the newest delivery with its trace. */
async function newestDelivery(): Promise<DeliveryView> {
  const page = await server.deliveries();
  const newest = page.deliveries[0];
  if (newest === undefined) throw new Error('no delivery recorded');
  return server.delivery(newest.id);
}

function abortEvent(delivery: DeliveryView): Record<string, unknown> | undefined {
  return delivery.events.find((event) => event.type === 'delivery.aborted')?.data;
}

describe('rcpt rules', () => {
  it('first-n fails three sends and accepts the fourth', async () => {
    await server.createRule({
      name: 'Next three to bob fail',
      stage: 'rcpt',
      match: { recipient: 'bob@example.test' },
      action: REPLY_451,
      trigger: { type: 'first-n', n: 3 },
    });

    const codes: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      codes.push((await server.send({ to: 'bob@example.test' })).code);
    }
    expect(codes).toEqual([451, 451, 451, 250]);
    const other = await server.send({ to: 'carol@example.test' });
    expect(other.code).toBe(250);

    const page = await server.deliveries('?outcome=aborted');
    expect(page.total).toBe(3);
    const aborted = await server.delivery(page.deliveries[0]!.id);
    expect(aborted.abortKind).toBe('rule');
    expect(aborted.abortDetail).toContain('Next three to bob fail');
    const reason = abortEvent(aborted)?.reason as { rule?: { name: string } };
    expect(reason.rule?.name).toBe('Next three to bob fail');
    const rcpt = aborted.events.find((event) => event.type === 'rcpt');
    expect(rcpt?.data.rule).toEqual({
      id: 'next-three-to-bob-fail',
      name: 'Next three to bob fail',
    });
    expect(aborted.recipients[0]?.reply.code).toBe(451);
    expect(aborted.recipients[0]?.rule?.name).toBe('Next three to bob fail');

    const rules = await server.api<{ rules: RuleView[] }>('GET', '/rules');
    expect(rules.body.rules[0]?.counters).toMatchObject({ matches: 4, fired: 3 });
  });

  it('every-nth fires on each second match', async () => {
    await server.createRule({
      name: 'every second',
      stage: 'rcpt',
      action: { type: 'reply', code: 550, enhancedCode: '5.1.1', message: 'No such user' },
      trigger: { type: 'every-nth', n: 2 },
    });
    const codes = [];
    for (let attempt = 0; attempt < 4; attempt += 1) codes.push((await server.send()).code);
    expect(codes).toEqual([250, 550, 250, 550]);
  });

  it('once fires on the first match only', async () => {
    await server.createRule({
      name: 'once',
      stage: 'rcpt',
      action: REPLY_451,
      trigger: { type: 'once' },
    });
    expect((await server.send()).code).toBe(451);
    expect((await server.send()).code).toBe(250);
  });

  it('probability 0 never fires and 1 always does', async () => {
    await server.createRule({
      name: 'never',
      stage: 'rcpt',
      action: REPLY_451,
      trigger: { type: 'probability', probability: 0 },
    });
    expect((await server.send()).code).toBe(250);
    await server.api('PUT', '/rules/never', {
      name: 'never',
      stage: 'rcpt',
      action: REPLY_451,
      trigger: { type: 'probability', probability: 1 },
    });
    expect((await server.send()).code).toBe(451);
  });

  it('greylisting accepts the retry after the wait', async () => {
    await server.createRule({
      name: 'greylist',
      stage: 'rcpt',
      action: REPLY_451,
      trigger: { type: 'greylist', waitMs: 300 },
    });
    const first = await server.send();
    expect(first.code).toBe(451);
    // Too early: still greylisted.
    expect((await server.send()).code).toBe(451);
    // Another sender is a new triple.
    expect((await server.send({ from: 'other@example.test' })).code).toBe(451);

    // A client that retries after a 451, as an MTA queue would.
    let result = first;
    for (let attempt = 0; attempt < 20 && result.code !== 250; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await server.send();
    }
    expect(result.code).toBe(250);
    const committed = await server.deliveries('?outcome=committed');
    expect(committed.total).toBe(1);
  });

  it('wildcard and regex conditions pick the recipient', async () => {
    await server.createRule({
      name: 'wildcard',
      stage: 'rcpt',
      match: { recipient: '*@blocked.test' },
      action: { type: 'reply', code: 550, enhancedCode: '5.7.1', message: 'Blocked' },
    });
    await server.createRule({
      name: 'regex',
      stage: 'rcpt',
      match: { recipient: { type: 'regex', value: '^(a+)+$|^ops-\\d+@' } },
      action: { type: 'reply', code: 552, enhancedCode: '5.2.2', message: 'Mailbox full' },
    });
    expect((await server.send({ to: 'x@blocked.test' })).code).toBe(550);
    expect((await server.send({ to: 'ops-42@example.test' })).code).toBe(552);
    expect((await server.send({ to: 'ops@example.test' })).code).toBe(250);
  });
});

describe('other stages', () => {
  it('mail rule records the refused delivery', async () => {
    await server.createRule({
      name: 'refuse sender',
      stage: 'mail',
      match: { sender: 'spam@example.test' },
      action: { type: 'reply', code: 550, enhancedCode: '5.7.1', message: 'Sender refused' },
    });
    const result = await server.send({ from: 'spam@example.test' });
    expect(result.code).toBe(550);
    expect(result.response).toContain('5.7.1 Sender refused');
    const delivery = await newestDelivery();
    expect(delivery.state).toBe('aborted');
    expect(delivery.abortKind).toBe('rule');
  });

  it('end-of-data rule matches the subject', async () => {
    await server.createRule({
      name: 'subject',
      stage: 'end-of-data',
      match: { subject: '*invoice*' },
      action: { type: 'reply', code: 554, enhancedCode: '5.6.0', message: 'Content rejected' },
    });
    expect((await server.send({ subject: 'Your invoice 12' })).code).toBe(554);
    expect((await server.send({ subject: 'Welcome' })).code).toBe(250);
    const page = await server.deliveries('?outcome=aborted');
    const aborted = await server.delivery(page.deliveries[0]!.id);
    expect(aborted.abortKind).toBe('rule');
    expect(aborted.abortDetail).toContain('554 5.6.0 Content rejected');
  });

  it('header rule matches a named field', async () => {
    await server.createRule({
      name: 'header',
      stage: 'end-of-data',
      match: { header: { name: 'X-Test-Case', value: 'fail' } },
      action: REPLY_451,
    });
    const dialogue = await SmtpDialogue.connect(server.smtpPort);
    await dialogue.command('EHLO client.test');
    await dialogue.command('MAIL FROM:<a@example.test>');
    await dialogue.command('RCPT TO:<b@example.test>');
    expect(await dialogue.command('DATA')).toMatch(/^354/);
    const reply = await dialogue.data(
      Buffer.from('X-Test-Case: FAIL\r\nSubject: x\r\n\r\nbody\r\n'),
    );
    expect(reply).toMatch(/^451 4\.7\.1 Try later/);
    dialogue.socket.destroy();
  });

  it('connect, helo, auth and data rules reply at their step', async () => {
    const reply = (code: number, enhancedCode: string, message: string) => ({
      type: 'reply',
      code,
      enhancedCode,
      message,
    });
    await server.createRule({
      name: 'helo',
      stage: 'helo',
      action: reply(421, '4.7.0', 'Go away'),
      trigger: { type: 'once' },
    });
    await server.createRule({
      name: 'auth',
      stage: 'auth',
      match: { authUser: 'mallory' },
      action: reply(535, '5.7.8', 'Bad credentials'),
    });
    await server.createRule({
      name: 'data',
      stage: 'data',
      action: reply(452, '4.3.1', 'Out of storage'),
      trigger: { type: 'once' },
    });

    const first = await RawSmtpClient.connect(server.smtpPort);
    first.client.send('EHLO client.test');
    expect((await first.client.read()).raw).toMatch(/^421 4\.7\.0 Go away/);
    first.client.destroy();

    const dialogue = await SmtpDialogue.connect(server.smtpPort);
    await dialogue.command('EHLO client.test');
    const plain = Buffer.from('\0mallory\0secret').toString('base64');
    expect(await dialogue.command(`AUTH PLAIN ${plain}`)).toMatch(/^535 5\.7\.8 Bad credentials/);
    await dialogue.command('MAIL FROM:<a@example.test>');
    await dialogue.command('RCPT TO:<b@example.test>');
    expect(await dialogue.command('DATA')).toMatch(/^452 4\.3\.1 Out of storage/);
    expect(await dialogue.command('QUIT')).toMatch(/^221/);

    await expect.poll(async () => (await newestDelivery()).abortKind).toBe('rule');
    const delivery = await newestDelivery();
    expect(delivery.abortDetail).toContain('Rule "data" replied 452 4.3.1');

    await server.createRule({
      name: 'connect',
      stage: 'connect',
      match: { clientAddress: '127.0.0.*' },
      action: reply(554, '5.7.1', 'No service'),
    });
    const refused = await RawSmtpClient.connect(server.smtpPort);
    // RFC 2034 section 3: a greeting carries no enhanced status code.
    expect(refused.greeting.raw).toBe('554 No service');
    await refused.client.waitForClose();
    refused.client.destroy();
  });

  it('delay holds the reply and drop closes the connection', async () => {
    await server.createRule({
      name: 'slow',
      stage: 'rcpt',
      match: { recipient: 'slow@example.test' },
      action: { type: 'delay', delayMs: 400 },
    });
    await server.createRule({
      name: 'drop',
      stage: 'rcpt',
      match: { recipient: 'drop@example.test' },
      action: { type: 'drop' },
    });
    const started = Date.now();
    expect((await server.send({ to: 'slow@example.test' })).code).toBe(250);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);

    const dialogue = await RawSmtpClient.connect(server.smtpPort);
    dialogue.client.send('EHLO client.test');
    await dialogue.client.read();
    dialogue.client.send('MAIL FROM:<a@example.test>');
    await dialogue.client.read();
    dialogue.client.send('RCPT TO:<drop@example.test>');
    await dialogue.client.waitForClose();
    expect(dialogue.client.closed).toBe(true);

    await expect.poll(async () => (await newestDelivery()).abortKind).toBe('rule');
    const delivery = await newestDelivery();
    expect(delivery.abortDetail).toContain('Rule "drop" closed the connection');
  });

  it('connect drop closes without a greeting', async () => {
    await server.createRule({
      name: 'drop at connect',
      stage: 'connect',
      action: { type: 'drop', delayMs: 100 },
    });
    const socket = net.connect(server.smtpPort, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(received).toBe('');

    const rules = await server.api<{ rules: RuleView[] }>('GET', '/rules');
    expect(rules.body.rules[0]?.counters.fired).toBe(1);
  });

  it('reply delay holds the failure', async () => {
    await server.createRule({
      name: 'slow failure',
      stage: 'mail',
      action: { ...REPLY_451, delayMs: 300 },
    });
    const started = Date.now();
    expect((await server.send()).code).toBe(451);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('accept skips the rules after it', async () => {
    await server.createRule({
      name: 'allow vip',
      stage: 'rcpt',
      match: { recipient: 'vip@example.test' },
      action: { type: 'accept' },
    });
    await server.createRule({ name: 'fail all', stage: 'rcpt', action: REPLY_451 });
    expect((await server.send({ to: 'vip@example.test' })).code).toBe(250);
    expect((await server.send({ to: 'other@example.test' })).code).toBe(451);
  });
});
