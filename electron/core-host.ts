import { utilityProcess, type UtilityProcess } from 'electron';

import type {
  CoreProcessMessage,
  DesktopAddress,
  ImportOutcome,
  MainProcessMessage,
} from '../src/desktop/messages.js';
import type { FileImporter } from './eml-import.js';

type ReadyMessage = Extract<CoreProcessMessage, { type: 'ready' }>;
type PortInUseMessage = Extract<CoreProcessMessage, { code: 'EADDRINUSE' }>;
/** News that the core process posts while it runs, for the tray and notifications. */
export type CoreNews = Extract<CoreProcessMessage, { type: 'message-committed' | 'unread-count' }>;

/** The outcome of a start. */
export type CoreStart =
  | { kind: 'ready'; ready: ReadyMessage }
  | { kind: 'port-in-use'; error: PortInUseMessage }
  | { kind: 'failed'; message: string };

export interface CoreHostOptions {
  /** Path of dist/desktop/core-process.js. */
  entryPath: string;
  /** Environment of the core process; MAILSCOPE_* variables configure the core. */
  env: NodeJS.ProcessEnv;
  onNews: (news: CoreNews) => void;
  /** Called when a core that was ready exits without being asked to. */
  onUnexpectedExit: (code: number) => void;
  /** Time to wait for `ready` or an error, in milliseconds. */
  startTimeoutMs?: number;
  /** Time a shutdown may take before the process is killed, in milliseconds. */
  stopTimeoutMs?: number;
}

interface PendingRequest {
  resolve: (message: CoreProcessMessage) => void;
  reject: (error: Error) => void;
}

/**
 * Runs the core in an Electron utility process and talks to it with the messages of
 * src/desktop/messages.d.ts. One core runs at a time: `start` again (on other ports)
 * after a failed start.
 */
export class CoreHost implements FileImporter {
  private child: UtilityProcess | null = null;
  /** Processes that were asked to exit or were killed, whose exit is expected. */
  private readonly ending = new WeakSet<UtilityProcess>();
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingRequest>();

  constructor(private readonly options: CoreHostOptions) {}

  /** Starts the core, on `ports` when given, and resolves once it is ready or has failed. */
  start(ports?: { smtp: DesktopAddress; http: DesktopAddress }): Promise<CoreStart> {
    if (this.child !== null) throw new Error('The core process is already running.');
    const env = { ...this.options.env };
    if (ports) {
      env.MAILSCOPE_SMTP = formatAddress(ports.smtp);
      env.MAILSCOPE_HTTP = formatAddress(ports.http);
    }
    // Utility processes load ES module entry points since Electron 28 (electron/electron
    // pull request 40047). NOTE: only the end-to-end test, which needs the Electron
    // binary, checks it with this entry.
    const child = utilityProcess.fork(this.options.entryPath, [], {
      env,
      serviceName: 'Mailscope core',
      stdio: 'inherit',
    });
    this.child = child;

    return new Promise<CoreStart>((resolve) => {
      let started = false;
      const finish = (result: CoreStart): void => {
        if (started) return;
        started = true;
        clearTimeout(timer);
        if (result.kind !== 'ready') this.kill(child);
        resolve(result);
      };
      const timer = setTimeout(() => {
        const seconds = (this.options.startTimeoutMs ?? 30_000) / 1000;
        finish({ kind: 'failed', message: `The core did not start within ${seconds} s.` });
      }, this.options.startTimeoutMs ?? 30_000);

      child.on('message', (message: CoreProcessMessage) => {
        if (message.type === 'ready') finish({ kind: 'ready', ready: message });
        else if (message.type === 'error' && message.code === 'EADDRINUSE') {
          finish({ kind: 'port-in-use', error: message });
        } else if (message.type === 'error') finish({ kind: 'failed', message: message.message });
        else this.receive(message);
      });
      child.on('exit', (code) => {
        if (this.child !== child) return;
        this.child = null;
        this.rejectPending(new Error(`The core process exited with code ${code}.`));
        if (!started) {
          finish({ kind: 'failed', message: `The core process exited with code ${code}.` });
        } else if (!this.ending.has(child)) {
          this.options.onUnexpectedExit(code);
        }
      });
    });
  }

  /** Stores one file as a local delivery. */
  async importFile(file: { source: string; bytes: Uint8Array }): Promise<ImportOutcome> {
    const requestId = this.nextRequestId++;
    const reply = await this.request({ type: 'import', requestId, files: [file] });
    const outcome = reply.type === 'import-result' ? reply.outcomes[0] : undefined;
    return outcome ?? { source: file.source, ok: false, error: 'The core returned no outcome.' };
  }

  /** Deletes every finished delivery and returns how many were deleted. */
  async deleteAll(): Promise<number> {
    const requestId = this.nextRequestId++;
    const reply = await this.request({ type: 'delete-all', requestId });
    return reply.type === 'delete-all-result' ? reply.deleted : 0;
  }

  /** Asks the core to close and waits for the process to exit; kills it after the timeout. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.ending.add(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.postMessage({ type: 'shutdown' } satisfies MainProcessMessage);
    const timeoutMs = this.options.stopTimeoutMs ?? 5000;
    const timer = setTimeout(() => this.kill(child), timeoutMs);
    // A killed process exits at once, so the second wait only bounds a case never seen.
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, timeoutMs * 2))]);
    clearTimeout(timer);
  }

  private request(
    message: MainProcessMessage & { requestId: number },
  ): Promise<CoreProcessMessage> {
    const child = this.child;
    if (child === null) return Promise.reject(new Error('The core process is not running.'));
    return new Promise<CoreProcessMessage>((resolve, reject) => {
      this.pending.set(message.requestId, { resolve, reject });
      child.postMessage(message satisfies MainProcessMessage);
    });
  }

  private receive(message: CoreProcessMessage): void {
    if (message.type === 'import-result' || message.type === 'delete-all-result') {
      const request = this.pending.get(message.requestId);
      this.pending.delete(message.requestId);
      request?.resolve(message);
    } else if (message.type === 'message-committed' || message.type === 'unread-count') {
      this.options.onNews(message);
    }
  }

  private rejectPending(error: Error): void {
    for (const request of this.pending.values()) request.reject(error);
    this.pending.clear();
  }

  /** Kills the process and drops it from this host at once, so that `start` may run again. */
  private kill(child: UtilityProcess): void {
    this.ending.add(child);
    if (this.child === child) {
      this.child = null;
      this.rejectPending(new Error('The core process was stopped.'));
    }
    child.kill();
  }
}

function formatAddress(address: DesktopAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
