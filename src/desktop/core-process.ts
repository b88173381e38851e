import { startCore } from '../core.js';
import { createLogger } from '../log.js';
import { runCoreBridge, type ParentPortLike } from './core-bridge.js';

/**
 * Entry of the desktop app's core process, which the Electron main process starts with
 * `utilityProcess.fork(path, [], { env })`. The `MAILSCOPE_*` variables in `env` configure
 * the core as they do for the `mailscope` command. Electron gives such a process `process.parentPort`;
 * the core has no other Electron dependency, so this file needs no Electron types.
 */
const parentPort = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort;

if (parentPort === undefined) {
  process.stderr.write(
    "mailscope: core-process.js runs only as the desktop app's Electron utility process; " +
      'run bin/mailscope.js for the headless server.\n',
  );
  process.exitCode = 1;
} else {
  await runCoreBridge({
    port: parentPort,
    env: process.env,
    startCore,
    createLogger: (level) => createLogger({ level }),
    exit: (code) => process.exit(code),
  });
}
