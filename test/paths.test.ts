import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DatabaseInUseError, createSpillDir, lockDatabase } from '../src/paths.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailscope-paths-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts a process that sleeps, to stand for another running Mailscope. */
function startSleeper(): { pid: number; stop: () => void } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  return { pid: child.pid as number, stop: () => child.kill('SIGKILL') };
}

describe('lockDatabase()', () => {
  it('writes this process id and removes the lock on release', async () => {
    const db = path.join(dir, 'mail.db');
    const release = await lockDatabase(db);

    expect(await readFile(`${db}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a database locked by a running process', async () => {
    const db = path.join(dir, 'mail.db');
    const other = startSleeper();
    try {
      await writeFile(`${db}.lock`, `${other.pid}\n`);

      const attempt = lockDatabase(db);
      await expect(attempt).rejects.toBeInstanceOf(DatabaseInUseError);
      await expect(attempt).rejects.toThrow(
        `in use by another Mailscope process (pid ${other.pid})`,
      );
    } finally {
      other.stop();
    }
  });

  it('takes over a lock left by a process that has ended', async () => {
    const db = path.join(dir, 'mail.db');
    const other = startSleeper();
    other.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await writeFile(`${db}.lock`, `${other.pid}\n`);

    const release = await lockDatabase(db);
    expect(await readFile(`${db}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    await release();
  });

  it('takes over a lock naming its own pid', async () => {
    const db = path.join(dir, 'mail.db');
    await writeFile(`${db}.lock`, `${process.pid}\n`);

    const release = await lockDatabase(db);
    await release();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('createSpillDir()', () => {
  it('removes folders of ended processes and of an earlier process with this id', async () => {
    const tmpRoot = path.join(dir, 'tmp');
    const running = startSleeper();
    try {
      for (const name of [
        `run-${process.pid}-old`,
        'run-999999999-gone',
        `run-${running.pid}-live`,
      ]) {
        await mkdir(path.join(tmpRoot, name), { recursive: true });
        await writeFile(path.join(tmpRoot, name, 'body.eml'), 'x');
      }

      const spillDir = await createSpillDir(dir);
      const left = (await readdir(tmpRoot)).sort();

      expect(left).toEqual([path.basename(spillDir), `run-${running.pid}-live`].sort());
    } finally {
      running.stop();
    }
  });
});
