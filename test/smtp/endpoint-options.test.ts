import { afterEach, describe, expect, it } from 'vitest';

import { EventBus } from '../../src/delivery/events.js';
import { SmtpEndpoint, type SmtpEndpointOptions } from '../../src/smtp/endpoint.js';
import { FakeTarget } from '../support/fake-target.js';
import { RawSmtpClient } from '../support/raw-smtp-client.js';
import {
  createMemoryLogger,
  startEndpoint,
  type EndpointHarness,
} from '../support/smtp-harness.js';

let harness: EndpointHarness | null = null;
let client: RawSmtpClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await harness?.stop();
  harness = null;
});

function endpointOptions(overrides: Partial<SmtpEndpointOptions> = {}): SmtpEndpointOptions {
  return {
    host: '127.0.0.1',
    port: 0,
    target: new FakeTarget(),
    events: new EventBus(() => undefined),
    logger: createMemoryLogger().logger,
    ...overrides,
  };
}

describe('SmtpEndpoint options', () => {
  it('requires AUTH when configured', async () => {
    harness = await startEndpoint({ auth: { users: null, required: true } });
    ({ client } = await RawSmtpClient.connect(harness.port));
    await client.command('EHLO client.example.test');

    const withoutAuth = await client.command('MAIL FROM:<a@example.test>');
    const auth = await client.command(`AUTH PLAIN ${Buffer.from('\0u\0p').toString('base64')}`);
    const withAuth = await client.command('MAIL FROM:<a@example.test>');

    expect(withoutAuth.code).toBe(530);
    expect(auth.code).toBe(235);
    expect(withAuth.code).toBe(250);
  });

  it('offers no STARTTLS without a certificate', async () => {
    harness = await startEndpoint();
    ({ client } = await RawSmtpClient.connect(harness.port));

    const ehlo = await client.command('EHLO client.example.test');
    const starttls = await client.command('STARTTLS');

    expect(ehlo.lines).not.toContain('STARTTLS');
    expect(starttls.code).toBe(500);
  });

  it('rejects requireTls without a certificate', () => {
    const options = endpointOptions({ auth: { users: null, requireTls: true } });

    expect(() => new SmtpEndpoint(options)).toThrow(/auth\.requireTls needs a TLS certificate/);
  });

  it('rejects an invalid size limit', () => {
    expect(() => new SmtpEndpoint(endpointOptions({ maxMessageSize: 0 }))).toThrow(
      /maxMessageSize must be a positive whole number of bytes, not 0/,
    );
  });

  it('rejects a port in use', async () => {
    harness = await startEndpoint();
    const second = new SmtpEndpoint(endpointOptions({ port: harness.port }));

    expect(second.address).toBeNull();
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await second.close();
  });

  it('closes once when close is called twice', async () => {
    harness = await startEndpoint();

    const first = harness.endpoint.close();
    const second = harness.endpoint.close();

    expect(second).toBe(first);
    await first;
    expect(harness.endpoint.address).toBeNull();
  });
});
