import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Folder for the programs that the bench fetches, ignored by git. */
export const TOOLS_DIR = path.join(ROOT, 'bench', '.tools');

/** MailDev release the bench installs, as an npm version range. */
const MAILDEV_VERSION = '^2.2.1';

/** A program that the bench runs with arguments. */
export interface Program {
  /** Name and version, as the results print them. */
  version: string;
  spawn(args: string[]): ChildProcess;
}

export interface Tools {
  /** Postfix's smtp-source, or null when apt-get could not fetch Postfix. */
  smtpSource: Program | null;
  /**
   * Postfix's smtp-sink, or bench/node-sink.ts when apt-get could not fetch Postfix. It
   * takes `HOST:PORT BACKLOG` as arguments.
   */
  smtpSink: Program;
  /** Path of MailDev's command-line script. */
  maildevCli: string;
  maildevVersion: string;
}

/**
 * Fetches the programs that the bench needs into bench/.tools, once. Debian's postfix
 * package is unpacked with `dpkg -x` and never installed, for smtp-source and smtp-sink.
 * MailDev comes from npm into a folder of its own, so its dependencies stay out of the
 * project's.
 */
export function prepareTools(log: (line: string) => void): Tools {
  mkdirSync(TOOLS_DIR, { recursive: true });
  const postfix = preparePostfix(log);
  const maildev = prepareMaildev(log);
  return {
    smtpSource: postfix === null ? null : postfixProgram(postfix, 'smtp-source'),
    smtpSink: postfix === null ? nodeSinkProgram() : postfixProgram(postfix, 'smtp-sink'),
    ...maildev,
  };
}

interface PostfixFiles {
  root: string;
  version: string;
}

function preparePostfix(log: (line: string) => void): PostfixFiles | null {
  const root = path.join(TOOLS_DIR, 'postfix');
  const marker = path.join(root, 'VERSION');
  if (!existsSync(marker)) {
    const download = path.join(TOOLS_DIR, 'postfix-download');
    rmSync(download, { recursive: true, force: true });
    mkdirSync(download, { recursive: true });
    try {
      log('fetching Debian postfix package (apt-get download postfix)');
      execFileSync('apt-get', ['download', 'postfix'], { cwd: download, stdio: 'pipe' });
      const deb = readdirSync(download).find((name) => name.endsWith('.deb'));
      if (deb === undefined) throw new Error('apt-get download wrote no .deb file');
      rmSync(root, { recursive: true, force: true });
      execFileSync('dpkg', ['-x', path.join(download, deb), root], { stdio: 'pipe' });
      writeFileSync(marker, `${deb.replace(/^postfix_|_[^_]+\.deb$/g, '')}\n`);
    } catch (error) {
      log(
        `Postfix tools unavailable (${(error as Error).message.split('\n')[0]}); ` +
          'using the Node.js generator and sink in bench/ instead',
      );
      return null;
    } finally {
      rmSync(download, { recursive: true, force: true });
    }
  }
  const version = execFileSync('cat', [marker], { encoding: 'utf8' }).trim();
  return { root, version };
}

function postfixProgram(files: PostfixFiles, name: string): Program {
  const binary = path.join(files.root, 'usr', 'sbin', name);
  return {
    version: `Postfix ${files.version} ${name}`,
    // As root, smtp-sink requires a user to switch to.
    spawn: (args) =>
      spawn(
        binary,
        name === 'smtp-sink' && process.getuid?.() === 0 ? ['-u', 'nobody', ...args] : args,
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, LD_LIBRARY_PATH: path.join(files.root, 'usr', 'lib', 'postfix') },
        },
      ),
  };
}

function prepareMaildev(log: (line: string) => void): {
  maildevCli: string;
  maildevVersion: string;
} {
  const folder = path.join(TOOLS_DIR, 'maildev');
  const cli = path.join(folder, 'node_modules', 'maildev', 'bin', 'maildev');
  if (!existsSync(cli)) {
    log(`installing maildev@${MAILDEV_VERSION} into ${path.relative(ROOT, folder)}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, 'package.json'),
      `${JSON.stringify({ name: 'mailscope-bench-maildev', private: true }, null, 2)}\n`,
    );
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--no-save', `maildev@${MAILDEV_VERSION}`],
      { cwd: folder, stdio: 'pipe' },
    );
  }
  const version = execFileSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).trim();
  return { maildevCli: cli, maildevVersion: `MailDev ${version}` };
}

function nodeSinkProgram(): Program {
  const script = path.join(ROOT, 'bench', 'node-sink.ts');
  return {
    version: 'bench/node-sink.ts (Node.js)',
    spawn: (args) =>
      spawn(process.execPath, ['--import', 'tsx', script, ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
  };
}
