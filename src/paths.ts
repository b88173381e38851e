import { mkdir, mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
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
    if (entry.startsWith(RUN_DIR_PREFIX) && Number.isInteger(pid) && !isOtherProcessAlive(pid)) {
      await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
    }
  }
  return mkdtemp(path.join(tmpRoot, `${RUN_DIR_PREFIX}${process.pid}-`));
}

/** The database is locked by another running Mailscope process. */
export class DatabaseInUseError extends Error {
  override name = 'DatabaseInUseError';
}

/**
 * Takes the lock file `<dbPath>.lock` that keeps a second Mailscope process away from a
 * database the first one uses, because start-up recovery would mark the first one's open
 * deliveries interrupted. A lock left by a process that no longer runs is taken over.
 * Returns the function that releases the lock.
 */
export async function lockDatabase(dbPath: string): Promise<() => Promise<void>> {
  const lockPath = `${dbPath}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

    const owner = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && isOtherProcessAlive(owner)) {
      throw new DatabaseInUseError(
        `The database ${dbPath} is in use by another Mailscope process (pid ${owner}). ` +
          'Stop that process, or start this one with another --db or --data-dir.',
      );
    }
    await rm(lockPath, { force: true });
  }
  throw new DatabaseInUseError(
    `Could not take the lock file ${lockPath}, because other processes keep creating it.`,
  );
}

/**
 * Tells whether a process other than this one runs with the given id. This process's
 * own id counts as not running, because a file that names it was left by an earlier
 * process that had the same id, as happens in containers where the server is always pid 1.
 */
function isOtherProcessAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
