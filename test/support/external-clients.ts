import { spawn } from 'node:child_process';

/** Output of a finished child process. */
export interface ProcessResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command with `input` on standard input and kills it after `timeoutMs`, so a
 * client that waits forever for a reply fails the test instead of hanging it.
 */
export function runProcess(
  command: string,
  args: string[],
  input = '',
  timeoutMs = 20_000,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));

    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not finish within ${timeoutMs} ms. stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/**
 * Runs a Python 3 script that reads a JSON object from standard input and prints one
 * JSON object, and returns that object.
 */
export async function runPython<T>(script: string, input: unknown): Promise<T> {
  const result = await runProcess('python3', ['-c', script], JSON.stringify(input));
  if (result.exitCode !== 0) {
    throw new Error(`python3 exited with ${result.exitCode}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as T;
}
