/**
 * The messages that the desktop app's processes exchange: the core process and the
 * Electron main process over the utility process's `parentPort`, and the preload script
 * and the main process over IPC.
 *
 * The file declares types only, because the processes are built apart and share no runtime
 * code. The core process is built with the core (tsconfig.build.json), and the main
 * process and the preload script with electron/tsconfig.json. A sandboxed preload script
 * cannot load local modules at all. Each sender checks what it posts with `satisfies`.
 */

/** A host and port that a server listens on. */
export interface DesktopAddress {
  host: string;
  port: number;
}

/** The outcome of importing one file. */
export type ImportOutcome =
  { source: string; ok: true; deliveryId: string } | { source: string; ok: false; error: string };

/** Sent by the core process to the main process. */
export type CoreProcessMessage =
  /** The core listens; the main process opens the window on `httpAddress`. */
  | {
      type: 'ready';
      smtpAddress: DesktopAddress;
      httpAddress: DesktopAddress;
      dataDir: string;
      /** Largest message the core accepts, in bytes; the main process reads no larger file. */
      maxMessageSize: number;
      unread: number;
    }
  /** A configured port is taken by another program; the main process then ends the core process. */
  | {
      type: 'error';
      code: 'EADDRINUSE';
      message: string;
      /** The server whose port was taken. */
      service: 'smtp' | 'http';
      /** The configured addresses. */
      smtp: DesktopAddress;
      http: DesktopAddress;
    }
  /** Any other start-up failure; the main process then ends the core process. */
  | { type: 'error'; code: 'START_FAILED'; message: string }
  /** A delivery committed a message, received over SMTP or imported (`local`). */
  | {
      type: 'message-committed';
      deliveryId: string;
      subject: string;
      /** The decoded From header, or the empty string when the message has none. */
      from: string;
      local: boolean;
      unread: number;
    }
  /** The unread count changed because a message was read, deleted or cleared. */
  | { type: 'unread-count'; unread: number }
  | { type: 'import-result'; requestId: number; outcomes: ImportOutcome[] }
  | { type: 'delete-all-result'; requestId: number; deleted: number };

/** Sent by the main process to the core process. */
export type MainProcessMessage =
  /** Stores each file as a local delivery; `source` is its path, for the transcript. */
  | { type: 'import'; requestId: number; files: Array<{ source: string; bytes: Uint8Array }> }
  | { type: 'delete-all'; requestId: number }
  /** Closes the core; the core process exits once it has closed. */
  | { type: 'shutdown' };

/** IPC channels from the preload script to the main process, with the value each carries. */
export interface PreloadChannels {
  /** Paths of the files dropped onto the window. */
  'eml:dropped': string[];
  /** The button on the port-conflict page: restart the core on the free ports it offers. */
  'core:restart-on-free-ports': null;
}

/** The name under which the preload script exposes DesktopApi to pages. */
export type DesktopApiName = 'mailscope';

/** The API that the preload script exposes to pages as `window.mailscope`. */
export interface DesktopApi {
  /** Restarts the core on the free ports that the port-conflict page offers. */
  restartOnFreePorts(): void;
}
