import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import nodemailer from 'nodemailer';

import { parseCli } from '../../src/config.js';
import { startCore, type Core } from '../../src/core.js';
import type { DeliveryPage, DeliveryView, RuleView } from '../../src/http/api-types.js';
import { createLogger } from '../../src/log.js';

/** A core on free loopback ports with a throwaway database, and a JSON client for its API. */
export interface RulesCore {
  core: Core;
  smtpPort: number;
  baseUrl: string;
  api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  createRule(rule: unknown): Promise<RuleView>;
  /** Sends one message with nodemailer; resolves with the reply code (250 on success). */
  send(options?: { to?: string; from?: string; subject?: string }): Promise<SendResult>;
  deliveries(query?: string): Promise<DeliveryPage>;
  delivery(id: string): Promise<DeliveryView>;
  close(): Promise<void>;
}

export interface SendResult {
  code: number;
  /** The server's reply text, such as `451 4.7.1 Try later`. */
  response: string;
}

export async function startRulesCore(extraArgs: string[] = []): Promise<RulesCore> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mailscope-rules-'));
  const request = parseCli(
    [
      '--smtp',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--db',
      ':memory:',
      '--data-dir',
      dataDir,
      '--no-starttls',
      ...extraArgs,
    ],
    {},
  );
  if (request.kind !== 'run') throw new Error('unexpected CLI request');
  const core = await startCore(request.config, createLogger({ level: 'silent' }));
  const baseUrl = `http://127.0.0.1:${core.httpAddress.port}`;
  const smtpPort = core.smtpAddress.port;

  const api = async <T>(method: string, route: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}/api/mailscope${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  };

  return {
    core,
    smtpPort,
    baseUrl,
    api,
    async createRule(rule) {
      const result = await api<RuleView>('POST', '/rules', rule);
      if (result.status !== 201)
        throw new Error(`rule not created: ${JSON.stringify(result.body)}`);
      return result.body;
    },
    send: (options = {}) => sendWithNodemailer(smtpPort, options),
    async deliveries(query = '') {
      return (await api<DeliveryPage>('GET', `/deliveries${query}`)).body;
    },
    async delivery(id) {
      return (await api<DeliveryView>('GET', `/deliveries/${id}`)).body;
    },
    async close() {
      await core.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function sendWithNodemailer(
  port: number,
  options: { to?: string; from?: string; subject?: string } = {},
): Promise<SendResult> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 10_000,
    socketTimeout: 10_000,
  });
  try {
    const info = await transport.sendMail({
      from: options.from ?? 'app@example.test',
      to: options.to ?? 'user@example.test',
      subject: options.subject ?? 'Hello',
      text: 'Hello',
    });
    return { code: 250, response: info.response };
  } catch (error) {
    const failure = error as { responseCode?: number; response?: string; code?: string };
    return { code: failure.responseCode ?? 0, response: failure.response ?? String(failure.code) };
  } finally {
    transport.close();
  }
}
