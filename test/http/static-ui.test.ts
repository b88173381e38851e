import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { APP_POLICY } from '../../src/http/static-ui.js';
import { openApiHarness, type ApiHarness } from './helpers.js';

const INDEX_HTML =
  '<!doctype html><title>Mailscope UI</title><script src="/assets/app.js"></script>';

let uiRoot: string;
let uiDir: string;
let api: ApiHarness;

beforeEach(async () => {
  uiRoot = await mkdtemp(path.join(tmpdir(), 'mailscope-ui-'));
  uiDir = path.join(uiRoot, 'renderer');
  api = await openApiHarness({ uiDir });
});

afterEach(async () => {
  await api.close();
  await rm(uiRoot, { recursive: true, force: true });
});

async function buildUi(): Promise<void> {
  await mkdir(path.join(uiDir, 'assets'), { recursive: true });
  await writeFile(path.join(uiDir, 'index.html'), INDEX_HTML);
  await writeFile(path.join(uiDir, 'assets', 'app.js'), 'console.log("app");');
  await writeFile(path.join(uiRoot, 'secret.txt'), 'outside the UI folder');
}

describe('static UI', () => {
  it('explains how to build the UI when it is missing', async () => {
    const response = await api.request('/');

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toBe(APP_POLICY);
    const html = await response.text();
    expect(html).toContain('The inspector UI is not built.');
    expect(html).toContain('<code>npm run build</code>');
  });

  it('serves the built files with the app policy', async () => {
    await buildUi();

    const index = await api.request('/');
    expect(index.status).toBe(200);
    expect(await index.text()).toBe(INDEX_HTML);
    expect(index.headers.get('content-security-policy')).toBe(
      "default-src 'self'; frame-src 'self'; img-src 'self' data:; " +
        "style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; " +
        "base-uri 'none'; frame-ancestors 'self'",
    );

    const script = await api.request('/assets/app.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toBe('console.log("app");');
  });

  it('answers client routes with index.html', async () => {
    await buildUi();

    const response = await api.request('/deliveries/abc123');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(INDEX_HTML);
  });

  it('answers 404 for a missing file', async () => {
    await buildUi();

    expect((await api.request('/assets/missing.js')).status).toBe(404);
  });

  it('serves nothing outside the UI folder', async () => {
    await buildUi();

    for (const route of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await api.request(route);
      expect(await response.text(), route).not.toContain('outside the UI folder');
    }
  });

  it('leaves API paths to the API', async () => {
    await buildUi();

    const response = await api.request('/api/mailscope/nothing-here');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'No API route matches GET /api/mailscope/nothing-here.',
    });
  });
});
