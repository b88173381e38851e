import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A `mailscope` CLI process started by a test, with the addresses it printed. */
export interface ServerProcess {
  child: ChildProcess;
  smtp: { host: string; port: number };
  http: { host: string; port: number };
  /** Everything the process wrote to standard output and standard error so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * Starts the CLI from source with free ports and waits until it prints its addresses.
 * Extra arguments follow the port options; `node.args` go to Node.js before the script, and
 * `node.env` adds environment variables. The caller ends the process.
 */
export async function startServerProcess(
  args: string[],
  timeoutMs = 20_000,
  node: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', ...(node.args ?? []), 'src/cli.ts'],
      ...['--smtp', '127.0.0.1:0', '--http', '127.0.0.1:0', ...args],
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MAILSCOPE_LOG_LEVEL: 'warn', ...node.env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const smtp = /SMTP\s+smtp:\/\/([\d.]+):(\d+)/.exec(stdout);
    const http = /HTTP\s+http:\/\/([\d.]+):(\d+)/.exec(stdout);
    if (smtp && http) {
      return {
        child,
        smtp: { host: smtp[1] as string, port: Number(smtp[2]) },
        http: { host: http[1] as string, port: Number(http[2]) },
        output: () => stdout + stderr,
        exited,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mailscope did not print its addresses; output:\n${stdout}${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
