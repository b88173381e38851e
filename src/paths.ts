import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Returns the folder where Mailscope keeps its database and certificate by default:
 * `$XDG_DATA_HOME/mailscope` (or `~/.local/share/mailscope`) on Linux and other Unix
 * systems, `~/Library/Application Support/Mailscope` on macOS, and
 * `%APPDATA%\Mailscope` on Windows.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32') {
    return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'Mailscope');
  }
  if (platform === 'darwin') {
    return path.posix.join(home, 'Library', 'Application Support', 'Mailscope');
  }
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.posix.join(home, '.local', 'share');
  return path.posix.join(base, 'mailscope');
}

const RUN_DIR_PREFIX = 'run-';

/**
 * Creates this process's folder for message bodies that spill to disk, under
 * `<dataDir>/tmp`, and deletes the folders that processes no longer running left
 * behind (a crash mid-DATA leaves its spill file there).
 */
export async function createSpillDir(dataDir: string): Promise<string> {
  const tmpRoot = path.join(dataDir, 'tmp');
  await mkdir(tmpRoot, { recursive: true, mode: 0o700 });

  for (const entry of await readdir(tmpRoot)) {
    const pid = Number(entry.slice(RUN_DIR_PREFIX.length).split('-')[0]);
    if (entry.startsWith(RUN_DIR_PREFIX) && Number.isInteger(pid) && !isProcessAlive(pid)) {
      await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
    }
  }
  return mkdtemp(path.join(tmpRoot, `${RUN_DIR_PREFIX}${process.pid}-`));
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
