// `npm start`: builds what is out of date, then opens the desktop app. Where Electron
// cannot start (no binary, no display, or better-sqlite3 built for Node.js only), it runs
// the headless server in this process instead and prints why. Arguments go to the headless
// server (`npm start -- --smtp 127.0.0.1:2525`), or to the desktop app as .eml files to
// open. The desktop app reads its settings from the MAILSCOPE_* variables only.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, buildStaleSteps, checkDesktop } from './launch-checks.js';

function runDesktop(electronPath: string, args: string[]): void {
  const env = { ...process.env };
  // Set by some tools; it would make Electron run as plain Node.js.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(electronPath, [ROOT, ...args], { cwd: ROOT, env, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

const desktop = checkDesktop();
buildStaleSteps({ desktop: 'electronPath' in desktop });
if ('electronPath' in desktop) {
  runDesktop(desktop.electronPath, process.argv.slice(2));
} else {
  process.stdout.write(
    `Mailscope: the desktop app cannot start here, because ${desktop.reason}.\n` +
      'Running the headless server instead: open its HTTP address below in a browser.\n\n',
  );
  // The CLI reads process.argv itself, so it gets the same arguments.
  await import(pathToFileURL(path.join(ROOT, 'dist', 'cli.js')).href);
}
