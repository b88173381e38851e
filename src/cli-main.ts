import { readFileSync } from 'node:fs';
import path from 'node:path';

import { runSubcommand } from './commands/index.js';
import { ConfigError, HELP, parseCli } from './config.js';
import { startCore, type Core } from './core.js';
import { collectGarbageWhenIdle, restoreYoungGenerationGrowth } from './heap.js';
import { createLogger } from './log.js';

const packageJson = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** Runs the headless server until SIGINT or SIGTERM. */
async function main(argv: string[]): Promise<number> {
  let request;
  try {
    request = parseCli(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mailscope: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (request.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (request.kind === 'version') {
    process.stdout.write(`${packageJson.version}\n`);
    return 0;
  }

  const { config } = request;
  const logger = createLogger({ level: config.logLevel });
  let core: Core;
  try {
    core = await startCore(config, logger);
  } catch (error) {
    restoreYoungGenerationGrowth();
    logger.fatal({ err: error }, 'start failed');
    process.stderr.write(`mailscope: could not start: ${(error as Error).message}\n`);
    return 1;
  }

  restoreYoungGenerationGrowth();
  const stopIdleCollection = collectGarbageWhenIdle(core.events);

  process.stdout.write(
    [
      `Mailscope ${packageJson.version}`,
      `SMTP     smtp://${formatHost(core.smtpAddress.host)}:${core.smtpAddress.port}`,
      `HTTP     http://${formatHost(core.httpAddress.host)}:${core.httpAddress.port}`,
      `Database ${config.dbPath}`,
      `Data     ${config.dataDir}`,
      '',
    ].join('\n'),
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stopIdleCollection();
      core.close(`Server shutdown on ${signal}`).then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The program name, so that a link or copy named `sendmail` runs the sendmail command. */
const programName = path.basename(process.argv[1] ?? '').replace(/\.[cm]?[jt]s$/, '');

const subcommand = runSubcommand(programName, process.argv.slice(2));
// The held growth only serves the server's idle memory, so a subcommand runs with the default.
if (subcommand !== null) restoreYoungGenerationGrowth();

(subcommand ?? main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mailscope: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
