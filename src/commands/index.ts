/**
 * Runs the subcommand that the program name or the first argument names: `sendmail`
 * (also when the program runs under that name) or `import`. Returns null for a command
 * line that starts the server. The commands load on demand, so the server starts without
 * their modules.
 */
export function runSubcommand(programName: string, argv: string[]): Promise<number> | null {
  const io = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  };
  if (programName === 'sendmail' || argv[0] === 'sendmail') {
    const args = programName === 'sendmail' ? argv : argv.slice(1);
    return import('./sendmail.js').then(({ runSendmail }) => runSendmail(args, io));
  }
  if (argv[0] === 'import') {
    return import('./import.js').then(({ runImport }) => runImport(argv.slice(1), io));
  }
  return null;
}
