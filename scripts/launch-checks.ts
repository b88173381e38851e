// Decides what `npm start` runs (the desktop app or the headless server) and which build
// steps are out of date.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type ElectronBinary = { path: string } | { reason: string };

/**
 * Returns the path of the Electron binary, or the reason there is none. The `electron`
 * package downloads its binary in an install script. package.json's allowScripts denies
 * that script, so after `npm ci` the package is there without the binary.
 */
export function findElectronBinary(): ElectronBinary {
  const require = createRequire(path.join(ROOT, 'package.json'));
  let binary: unknown;
  try {
    binary = require('electron');
  } catch {
    // The package throws when its install script never wrote the binary's path.
    return { reason: 'the Electron binary is not installed' };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) {
    return { reason: `the Electron binary is missing at ${String(binary)}` };
  }
  return { path: binary };
}

/** Returns why the desktop app cannot start in this environment, or null when it can. */
export function desktopUnavailableReason(options: {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  electron: ElectronBinary;
}): string | null {
  const { env, platform, electron } = options;
  if (env.MAILSCOPE_START_HEADLESS === '1') {
    return 'MAILSCOPE_START_HEADLESS=1 asks for the headless server';
  }
  if ('reason' in electron) {
    return `${electron.reason}; run \`node node_modules/electron/install.js\` to download it`;
  }
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return 'there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  }
  return null;
}

/**
 * Returns why better-sqlite3 cannot load in Electron's Node.js, or null when it loads.
 * npm builds it for the Node.js that ran `npm install`, whose ABI differs from Electron's.
 */
export function nativeModuleReason(electronPath: string): string | null {
  const result = spawnSync(electronPath, ['-e', "require('better-sqlite3')(':memory:').close()"], {
    cwd: ROOT,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status === 0) return null;
  const detail = firstLine(result.error ?? result.stderr);
  return (
    `better-sqlite3 does not load in Electron (${detail}); run ` +
    '`npx electron-builder install-app-deps` to rebuild it for Electron, and ' +
    '`npm rebuild better-sqlite3` to go back to the headless server and the tests'
  );
}

/**
 * Returns the Electron binary to start the desktop app with, or the reason the desktop
 * app cannot start here: the environment first, then whether better-sqlite3 loads in
 * Electron.
 */
export function checkDesktop(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): { electronPath: string } | { reason: string } {
  const electron = findElectronBinary();
  const reason = desktopUnavailableReason({ env, platform, electron });
  if (reason !== null) return { reason };
  if (!('path' in electron)) return { reason: electron.reason };
  const nativeReason = nativeModuleReason(electron.path);
  return nativeReason === null ? { electronPath: electron.path } : { reason: nativeReason };
}

/** One build step: the command, the files it reads and the file it writes. */
export interface BuildStep {
  name: string;
  /** Arguments for `node`, starting with the tool's script. */
  args: string[];
  inputs: string[];
  output: string;
  /** True for a step only the desktop app needs. */
  desktopOnly: boolean;
}

export const BUILD_STEPS: readonly BuildStep[] = [
  {
    name: 'core',
    args: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'],
    inputs: ['src', 'tsconfig.json', 'tsconfig.build.json'],
    output: 'dist/cli.js',
    desktopOnly: false,
  },
  {
    name: 'UI',
    args: ['node_modules/vite/bin/vite.js', 'build', 'renderer', '--logLevel', 'warn'],
    inputs: ['renderer/src', 'renderer/public', 'renderer/index.html', 'renderer/vite.config.ts'],
    output: 'dist/renderer/index.html',
    desktopOnly: false,
  },
  {
    name: 'desktop shell',
    args: ['node_modules/typescript/bin/tsc', '-p', 'electron/tsconfig.json'],
    inputs: ['electron', 'src/desktop/messages.d.ts', 'tsconfig.json'],
    output: 'dist/electron/main.js',
    desktopOnly: true,
  },
];

/**
 * Returns the steps to run: each whose output is missing or older than one of its
 * inputs, without the desktop shell's when only the headless server will run.
 */
export function staleBuildSteps(options: { desktop: boolean; root?: string }): BuildStep[] {
  const root = options.root ?? ROOT;
  return BUILD_STEPS.filter((step) => {
    if (step.desktopOnly && !options.desktop) return false;
    const output = path.join(root, step.output);
    if (!existsSync(output)) return true;
    const builtAt = statSync(output).mtimeMs;
    return step.inputs.some((input) => newestModification(path.join(root, input)) > builtAt);
  });
}

/**
 * Runs the out-of-date build steps with this Node.js, printing each step's name, and
 * exits the process with the step's code when one fails.
 */
export function buildStaleSteps(options: { desktop: boolean }): void {
  for (const step of staleBuildSteps(options)) {
    process.stdout.write(`Building the ${step.name}…\n`);
    const result = spawnSync(process.execPath, step.args, { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) {
      process.stderr.write(`mailscope: building the ${step.name} failed; see the output above.\n`);
      process.exit(result.status ?? 1);
    }
  }
}

/**
 * Returns the newest modification time of a file, or of every file under a folder, in
 * milliseconds since the epoch; 0 when the path does not exist.
 */
export function newestModification(target: string): number {
  if (!existsSync(target)) return 0;
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of readdirSync(target, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

function firstLine(value: unknown): string {
  const text = value instanceof Error ? value.message : String(value ?? '');
  return text.trim().split('\n')[0] || 'no output';
}
