import path from 'node:path';

import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import { emlPathsFromArgv, setupSingleInstance } from '../../electron/single-instance.js';
import { app, resetElectron } from './electron-stand-in.js';

const cwd = path.resolve('/home/user/mail');

beforeEach(() => {
  resetElectron();
});

describe('emlPathsFromArgv()', () => {
  it('takes the .eml files of a packaged launch', () => {
    const argv = ['/opt/Mailscope/mailscope', '/tmp/a.eml', 'b.EML'];

    expect(emlPathsFromArgv(argv, cwd)).toEqual([
      path.resolve('/tmp/a.eml'),
      path.resolve(cwd, 'b.EML'),
    ]);
  });

  it('skips the app folder of a development launch', () => {
    expect(emlPathsFromArgv(['/usr/bin/electron', '.', 'welcome.eml'], cwd)).toEqual([
      path.resolve(cwd, 'welcome.eml'),
    ]);
  });

  it('skips switches and other files', () => {
    const argv = ['mailscope', '--allow-file-access-from-files', '-x.eml', 'notes.txt'];

    expect(emlPathsFromArgv(argv, cwd)).toEqual([]);
  });

  it('lists a file named twice once', () => {
    expect(emlPathsFromArgv(['mailscope', 'a.eml', './a.eml'], cwd)).toEqual([
      path.resolve(cwd, 'a.eml'),
    ]);
  });
});

describe('setupSingleInstance()', () => {
  it('quits when another instance holds the lock', () => {
    app.requestSingleInstanceLock.mockReturnValueOnce(false);

    expect(setupSingleInstance(() => undefined)).toBe(false);
    expect(app.quit).toHaveBeenCalled();
  });

  it('passes the .eml files of a second launch to the first', () => {
    const onSecondInstance = vi.fn();

    expect(setupSingleInstance(onSecondInstance)).toBe(true);
    app.emit('second-instance', {}, ['mailscope', 'report.eml', '--flag'], '/tmp/other');

    expect(app.quit).not.toHaveBeenCalled();
    expect(onSecondInstance).toHaveBeenCalledWith([path.resolve('/tmp/other', 'report.eml')]);
  });

  it('calls the handler with no files for a plain second launch', () => {
    const onSecondInstance = vi.fn();
    setupSingleInstance(onSecondInstance);

    app.emit('second-instance', {}, ['mailscope'], cwd);

    expect(onSecondInstance).toHaveBeenCalledWith([]);
  });
});
