import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fakePort = path.join(root, 'test', 'desktop', 'fake-parent-port.ts');

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-core-process-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function startEntry(imports: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      ...imports.flatMap((file) => ['--import', file]),
      'src/desktop/core-process.ts',
    ],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        MAILSCOPE_SMTP: '127.0.0.1:0',
        MAILSCOPE_HTTP: '127.0.0.1:0',
        MAILSCOPE_DB: ':memory:',
        MAILSCOPE_DATA_DIR: dataDir,
        MAILSCOPE_LOG_LEVEL: 'warn',
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

describe('core-process entry', () => {
  it('posts ready over parentPort and exits 0 on shutdown', async () => {
    const { child, exited } = startEntry([fakePort]);
    const lines = createInterface({ input: child.stdout });
    const first = await new Promise<string>((resolve) => lines.once('line', resolve));

    const ready = JSON.parse(first) as { type: string; httpAddress: { port: number } };
    expect(ready.type).toBe('ready');
    const response = await fetch(`http://127.0.0.1:${ready.httpAddress.port}/livez`);
    expect(response.status).toBe(200);

    child.stdin.write(`${JSON.stringify({ type: 'shutdown' })}\n`);
    expect(await exited).toBe(0);
  }, 20_000);

  it('refuses to run outside an Electron utility process', async () => {
    const { exited, stderr } = startEntry([]);

    expect(await exited).toBe(1);
    expect(stderr()).toContain("runs only as the desktop app's Electron utility process");
  }, 20_000);
});
