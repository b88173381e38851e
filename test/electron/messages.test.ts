import { describe, expectTypeOf, it } from 'vitest';

import type {
  CoreProcessMessage,
  DesktopApi,
  DesktopApiName,
  MainProcessMessage,
  PreloadChannels,
} from '../../src/desktop/messages.js';

// Type tests: tsc (npm run typecheck) fails when the contract between the desktop app's
// processes changes shape; vitest only runs them as empty tests.
describe('desktop message contract', () => {
  it('names every message the core process sends', () => {
    expectTypeOf<CoreProcessMessage['type']>().toEqualTypeOf<
      | 'ready'
      | 'error'
      | 'message-committed'
      | 'unread-count'
      | 'import-result'
      | 'delete-all-result'
    >();
  });

  it('tells a taken port apart from other start failures', () => {
    type StartError = Extract<CoreProcessMessage, { type: 'error' }>;

    expectTypeOf<StartError['code']>().toEqualTypeOf<'EADDRINUSE' | 'START_FAILED'>();
    expectTypeOf<Extract<StartError, { code: 'EADDRINUSE' }>['service']>().toEqualTypeOf<
      'smtp' | 'http'
    >();
  });

  it('gives the main process what the window and tray need on ready', () => {
    expectTypeOf<Extract<CoreProcessMessage, { type: 'ready' }>>().toEqualTypeOf<{
      type: 'ready';
      smtpAddress: { host: string; port: number };
      httpAddress: { host: string; port: number };
      dataDir: string;
      maxMessageSize: number;
      unread: number;
    }>();
  });

  it('names every request the main process sends', () => {
    expectTypeOf<MainProcessMessage['type']>().toEqualTypeOf<
      'import' | 'delete-all' | 'shutdown'
    >();
  });

  it('keys the preload channels and the exposed API', () => {
    expectTypeOf<keyof PreloadChannels>().toEqualTypeOf<
      'eml:dropped' | 'core:restart-on-free-ports'
    >();
    expectTypeOf<PreloadChannels['eml:dropped']>().toEqualTypeOf<string[]>();
    expectTypeOf<DesktopApiName>().toEqualTypeOf<'mailscope'>();
    expectTypeOf<keyof DesktopApi>().toEqualTypeOf<'restartOnFreePorts'>();
  });
});
