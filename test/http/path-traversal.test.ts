import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startHttpServer, type HttpServer } from '../../src/http/server.js';
import { crlf } from '../store/helpers.js';
import { HTTP_ADDRESS, openApiHarness, type ApiHarness } from './helpers.js';

/** Text of a file outside the UI folder, which no response may contain. */
const SECRET = 'secret outside the UI folder';
const INDEX_HTML = '<!doctype html><title>Mailscope UI</title>';

// Sender file names that try to leave the download folder, each with the only name the
// server may offer for it.
const HOSTILE_NAMES: Array<[string, string]> = [
  ['../../etc/passwd', '.._.._etc_passwd'],
  ['..\\..\\windows\\win.ini', '.._.._windows_win.ini'],
  ['/absolute/path.txt', '_absolute_path.txt'],
  ['C:\\Users\\x\\evil.bat', 'C:_Users_x_evil.bat'],
  ['..', 'part-6.bin'],
  ['%2e%2e%2fencoded.txt', '%2e%2e%2fencoded.txt'],
];

function attachment(name: string, content: string): string[] {
  return [
    '--mix',
    `Content-Type: application/octet-stream; name="${name}"`,
    `Content-Disposition: attachment; filename="${name.replace(/\\/g, '\\\\')}"`,
    '',
    content,
  ];
}

const MESSAGE = crlf([
  'From: a@example.test',
  'To: b@example.test',
  'Subject: Hostile names',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="mix"',
  '',
  '--mix',
  'Content-Type: text/plain',
  '',
  'see the attachments',
  ...HOSTILE_NAMES.flatMap(([name], index) => attachment(name, `content ${index}`)),
  '--mix--',
]);

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/**
 * Sends a GET with `target` exactly as given, which fetch and http.request would
 * normalise or reject, and returns the response.
 */
function rawGet(port: number, target: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error(`no response to GET ${target}`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: text.slice(0, end), body: text.slice(end + 4) });
    });
    socket.write(
      `GET ${target} HTTP/1.1\r\nHost: ${HTTP_ADDRESS.host}:${HTTP_ADDRESS.port}\r\n` +
        'Connection: close\r\n\r\n',
    );
  });
}

describe('path traversal', () => {
  let root: string;
  let api: ApiHarness;
  let server: HttpServer;
  let messageId: string;
  let otherId: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mailscope-traversal-'));
    const uiDir = path.join(root, 'ui', 'renderer');
    await mkdir(path.join(uiDir, 'assets'), { recursive: true });
    await writeFile(path.join(uiDir, 'index.html'), INDEX_HTML);
    await writeFile(path.join(uiDir, 'assets', 'app.js'), 'console.log("app");');
    await writeFile(path.join(root, 'ui', 'secret.txt'), SECRET);
    await writeFile(path.join(root, 'secret.txt'), SECRET);

    api = await openApiHarness({ uiDir });
    server = await startHttpServer(api.app, { host: '127.0.0.1', port: 0 });
    messageId = await api.deliver(MESSAGE);
    otherId = await api.deliver(crlf(['Subject: other', '', 'other body']));
  });

  afterAll(async () => {
    await server?.close();
    await api?.close();
    await rm(root, { recursive: true, force: true });
  });

  it.each([
    '/../secret.txt',
    '/../../secret.txt',
    '/..%2fsecret.txt',
    '/..%2f..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/%2E%2E/%2E%2E/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/assets/../../secret.txt',
    '/..\\secret.txt',
    '/..%5csecret.txt',
    '/..%5c..%5csecret.txt',
    '/%252e%252e/secret.txt',
    '/%c0%ae%c0%ae/secret.txt',
    '//secret.txt',
    '/.%2e/secret.txt',
    '/secret.txt%00.js',
    '/view/..%2f..%2fsecret.txt',
    '/view/../../secret.txt',
    '/view/..%2f..%2fsecret.txt.html',
    '/view/..%5c..%5csecret.txt',
    '/view/%2e%2e/%2e%2e/secret.txt',
  ])('serves no file outside the UI folder for %s', async (target) => {
    const response = await rawGet(server.address.port, target);

    expect(response.status, response.headers).not.toBe(500);
    expect(response.status, response.headers).not.toBe(0);
    expect(response.body).not.toContain(SECRET);
  });

  it('still serves the UI files', async () => {
    const response = await rawGet(server.address.port, '/assets/app.js');

    expect(response.status).toBe(200);
    expect(response.body).toContain('console.log("app");');
  });

  it.each([
    '..',
    '..%2f..%2fraw',
    '%2e%2e%2f%2e%2e',
    '1%2f..%2f..%2f2',
    '..%5c2',
    "2'%20OR%20'1'='1",
    '2%00',
    '%252e%252e',
  ])('answers 404 for the part id %s', async (partId) => {
    for (const target of [
      `/api/mailscope/messages/${messageId}/parts/${partId}`,
      `/api/v1/message/${messageId}/part/${partId}`,
    ]) {
      const response = await rawGet(server.address.port, target);

      expect(response.status, `${target}\n${response.headers}`).toBe(404);
      expect(response.body).not.toContain('content ');
      expect(response.body).not.toContain(SECRET);
    }
  });

  it.each([
    (other: string) => `..%2f${other}/raw`,
    (other: string) => `%2e%2e%2f${other}/raw`,
    (other: string) => `x%2f..%2f${other}/raw`,
  ])('reaches no other message through the message id (%#)', async (build) => {
    const target = `/api/mailscope/messages/${build(otherId)}`;
    const response = await rawGet(server.address.port, target);

    expect(response.status, target).toBe(404);
    expect(response.body).not.toContain('other body');
  });

  it('offers each hostile file name without path separators', async () => {
    const parts = api.store.queries
      .listParts(messageId)
      .filter((part) => part.kind === 'attachment');
    expect(parts.map((part) => part.filename)).toEqual(HOSTILE_NAMES.map(([name]) => name));

    for (const [index, part] of parts.entries()) {
      const expected = HOSTILE_NAMES[index]?.[1] as string;
      const target = `/api/mailscope/messages/${messageId}/parts/${part.partId}`;
      const response = await rawGet(server.address.port, target);
      expect(response.status, target).toBe(200);
      expect(response.body).toBe(`content ${index}`);

      const disposition = /^content-disposition: (.*)$/im.exec(response.headers)?.[1] ?? '';
      const ascii = /filename="((?:[^"\\]|\\.)*)"/.exec(disposition)?.[1];
      const extended = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1] ?? '';
      expect(ascii, disposition).not.toMatch(/[/\\]/);
      expect(decodeURIComponent(extended), disposition).toBe(expected);
      expect(decodeURIComponent(extended)).not.toMatch(/[/\\]/);
    }
  });
});
