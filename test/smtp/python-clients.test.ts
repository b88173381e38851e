import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { EventBus, type CoreEvent } from '../../src/delivery/events.js';
import { DeliveryPipeline } from '../../src/delivery/pipeline.js';
import { headerValue } from '../../src/message/header.js';
import { loadOrCreateCertificate, type TlsCertificate } from '../../src/smtp/tls.js';
import { runPython } from '../support/external-clients.js';
import { FakeTarget } from '../support/fake-target.js';
import {
  createMemoryLogger,
  startEndpoint,
  type EndpointHarness,
} from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let dataDir: string;
let certificate: TlsCertificate & { cert: string };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-tls-'));
  certificate = await loadOrCreateCertificate(dataDir);
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

afterEach(async () => {
  await harness?.stop();
  harness = null;
});

/** Sends one raw UTF-8 message with SMTPUTF8 to each recipient in turn, one connection each. */
const SMTPUTF8_SCRIPT = `
import json, smtplib, sys
args = json.load(sys.stdin)
results = []
for rcpt in args['rcpts']:
    message = args['message'].replace('RCPT', rcpt).encode('utf-8')
    with smtplib.SMTP('127.0.0.1', args['port'], timeout=10) as smtp:
        smtp.ehlo('client.example.test')
        advertised = smtp.has_extn('smtputf8')
        refused = smtp.sendmail('a@example.test', [rcpt], message, mail_options=['SMTPUTF8'])
        results.append({'advertised': advertised, 'refused': refused})
print(json.dumps(results))
`;

/**
 * The three clients of the STARTTLS + AUTH case. A: STARTTLS, EHLO, AUTH PLAIN, then a
 * message. B: AUTH LOGIN without TLS, then a message if AUTH passed. C: STARTTLS, then
 * AUTH PLAIN with a wrong password.
 */
const AUTH_SCRIPT = `
import json, smtplib, ssl, sys
args = json.load(sys.stdin)
result = {}
with smtplib.SMTP('127.0.0.1', args['port'], timeout=10) as smtp:
    smtp.ehlo('client.example.test')
    result['before_tls'] = smtp.esmtp_features.get('auth', '').strip()
    result['starttls_offered'] = smtp.has_extn('starttls')
    if args['client'] in ('A', 'C'):
        context = ssl.create_default_context(cadata=args['cert'])
        smtp.starttls(context=context)
        smtp.ehlo('client.example.test')
        result['after_tls'] = smtp.esmtp_features.get('auth', '').strip()
        result['tls_version'] = smtp.sock.version()
    smtp.user, smtp.password = args['user'], args['password']
    try:
        if args['client'] == 'B':
            code, _ = smtp.auth('LOGIN', smtp.auth_login, initial_response_ok=False)
        else:
            code, _ = smtp.auth('PLAIN', smtp.auth_plain)
        result['auth'] = [code, '']
    except smtplib.SMTPAuthenticationError as error:
        result['auth'] = [error.smtp_code, error.smtp_error.decode()]
    if result['auth'][0] == 235:
        smtp.sendmail('a@example.test', ['b@example.test'], b'Subject: auth\\r\\n\\r\\nbody\\r\\n')
print(json.dumps(result))
`;

interface AuthResult {
  /** The AUTH mechanisms that EHLO listed, '' for none. */
  before_tls: string;
  after_tls?: string;
  starttls_offered: boolean;
  tls_version?: string;
  auth: [number, string];
}

function runAuthClient(client: 'A' | 'B' | 'C', password = 'p'): Promise<AuthResult> {
  return runPython<AuthResult>(AUTH_SCRIPT, {
    port: harness!.port,
    cert: certificate.cert,
    client,
    user: 'u',
    password,
  });
}

describe('SmtpEndpoint with Python smtplib', () => {
  it('stores SMTPUTF8 addresses and headers', async () => {
    harness = await startEndpoint();
    const message =
      'From: a@example.test\r\nTo: Bjørn <RCPT>\r\nSubject: Grüße\r\n\r\nHej Bjørn\r\n';

    const results = await runPython<Array<{ advertised: boolean; refused: object }>>(
      SMTPUTF8_SCRIPT,
      { port: harness.port, rcpts: ['bjørn@example.test'], message },
    );

    const [delivery] = harness.target.committed;
    expect(results[0]?.advertised).toBe(true);
    expect(results[0]?.refused).toEqual({});
    expect(delivery?.rcpts).toEqual(['bjørn@example.test']);
    expect(delivery?.meta.mailFrom.smtpUtf8).toBe(true);
    expect(headerValue(delivery!.header!, 'Subject')).toBe('Grüße');
    expect(headerValue(delivery!.header!, 'To')).toBe('Bjørn <bjørn@example.test>');
    expect(delivery?.body?.toString('utf8')).toBe(message.replace('RCPT', 'bjørn@example.test'));
  });

  it('delivers U-label and A-label domains alike', async () => {
    const target = new FakeTarget();
    const pipelineEvents: CoreEvent[] = [];
    const events = new EventBus((error) => {
      throw error;
    });
    events.subscribe((event) => pipelineEvents.push(event));
    const pipeline = new DeliveryPipeline({
      targets: [target],
      events,
      logger: createMemoryLogger().logger,
      maxRecipients: 100,
    });
    harness = await startEndpoint({ target: pipeline });

    await runPython(SMTPUTF8_SCRIPT, {
      port: harness.port,
      rcpts: ['b@bücher.example.test', 'b@xn--bcher-kva.example.test'],
      message: 'From: a@example.test\r\nTo: RCPT\r\nSubject: IDN\r\n\r\nbody\r\n',
    });

    const rcptEvents = pipelineEvents.filter((event) => event.type === 'rcpt');
    expect(target.committed.map((delivery) => delivery.rcpts)).toEqual([
      ['b@bücher.example.test'],
      ['b@bücher.example.test'],
    ]);
    expect(rcptEvents.map((event) => event.original)).toEqual([
      'b@bücher.example.test',
      'b@xn--bcher-kva.example.test',
    ]);
  });

  it('authenticates client A after STARTTLS', async () => {
    harness = await startEndpoint({ tls: certificate, auth: { users: { u: 'p' } } });

    const result = await runAuthClient('A');

    const meta = harness.target.committed[0]?.meta;
    expect(result.starttls_offered).toBe(true);
    expect(result.before_tls).toBe('PLAIN LOGIN');
    expect(result.after_tls).toBe('PLAIN LOGIN');
    expect(result.auth[0]).toBe(235);
    expect(meta?.conn.authUser).toBe('u');
    expect(meta?.conn.protocol).toBe('ESMTPSA');
    expect(meta?.conn.tls?.version).toBe(result.tls_version);
    expect(meta?.conn.tls?.cipher).toMatch(/^TLS_/);
  });

  it('authenticates client B without TLS', async () => {
    harness = await startEndpoint({ tls: certificate, auth: { users: { u: 'p' } } });

    const result = await runAuthClient('B');

    expect(result.auth[0]).toBe(235);
    expect(harness.target.committed[0]?.meta.conn.protocol).toBe('ESMTPA');
  });

  it('answers client B 538 with requireTls', async () => {
    harness = await startEndpoint({
      tls: certificate,
      auth: { users: { u: 'p' }, requireTls: true },
    });

    const result = await runAuthClient('B');

    expect(result.auth[0]).toBe(538);
    expect(result.auth[1]).toContain('STARTTLS');
    expect(harness.target.deliveries).toHaveLength(0);
  });

  it("rejects client C's password with 535", async () => {
    harness = await startEndpoint({ tls: certificate, auth: { users: { u: 'p' } } });

    const result = await runAuthClient('C', 'wrong');

    expect(result.auth).toEqual([535, '5.7.8 Error: Authentication credentials invalid']);
    expect(harness.logLines.join('\n')).not.toContain('wrong');
  });

  it('aborts with client-reset on STARTTLS', async () => {
    harness = await startEndpoint({ tls: certificate });
    const script = `
import json, smtplib, ssl, sys
args = json.load(sys.stdin)
with smtplib.SMTP('127.0.0.1', args['port'], timeout=10) as smtp:
    smtp.ehlo('client.example.test')
    smtp.mail('a@example.test')
    smtp.rcpt('b@example.test')
    smtp.starttls(context=ssl.create_default_context(cadata=args['cert']))
    smtp.ehlo('client.example.test')
    smtp.sendmail('c@example.test', ['d@example.test'], b'Subject: after TLS\\r\\n\\r\\nbody\\r\\n')
print(json.dumps({}))
`;

    await runPython(script, { port: harness.port, cert: certificate.cert });

    const [first, second] = harness.target.deliveries;
    expect(first?.abortReason?.kind).toBe('client-reset');
    expect(first?.abortReason?.detail).toContain('STARTTLS');
    expect(second?.state).toBe('committed');
    expect(second?.meta.conn.protocol).toBe('ESMTPS');
  });

  it('accepts any credentials by default', async () => {
    harness = await startEndpoint({ tls: certificate });

    const result = await runAuthClient('A', 'anything');

    expect(result.auth[0]).toBe(235);
    expect(harness.target.committed[0]?.meta.conn.authUser).toBe('u');
  });
});
