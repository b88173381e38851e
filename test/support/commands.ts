import { spawnSync } from 'node:child_process';

/** True when a program is on PATH. Tests that need one skip, naming it, where it is not. */
export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}
