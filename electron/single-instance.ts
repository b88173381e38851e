import path from 'node:path';

import { app } from 'electron';

/**
 * Returns the absolute paths of the `.eml` files named on a command line, relative ones
 * resolved against `workingDirectory`, without duplicates. Options (anything starting with
 * `-`, such as the switches Chromium adds) and other arguments, such as the executable or
 * the app folder in development, are skipped.
 */
export function emlPathsFromArgv(argv: readonly string[], workingDirectory: string): string[] {
  const paths = new Set<string>();
  for (const argument of argv.slice(1)) {
    if (argument.startsWith('-') || !argument.toLowerCase().endsWith('.eml')) continue;
    paths.add(path.resolve(workingDirectory, argument));
  }
  return [...paths];
}

/**
 * Requests the single-instance lock. When another instance has it, this one quits and
 * the function returns false, and the other instance receives this command line.
 * Otherwise a later launch calls `onSecondInstance` with its command line's `.eml` files.
 */
export function setupSingleInstance(onSecondInstance: (emlPaths: string[]) => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv, workingDirectory) => {
    onSecondInstance(emlPathsFromArgv(argv, workingDirectory));
  });
  return true;
}
