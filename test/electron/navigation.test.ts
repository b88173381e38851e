import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./electron-stand-in.js'));

import {
  coreOrigin,
  guardWebContents,
  isSafeExternalUrl,
  isSameOrigin,
  setupNavigationGuard,
} from '../../electron/navigation.js';
import { FakeWebContents, app, resetElectron, shell } from './electron-stand-in.js';

const origin = 'http://127.0.0.1:8025';

function guarded(currentOrigin: string | null = origin): FakeWebContents {
  const contents = new FakeWebContents();
  guardWebContents(contents as never, () => currentOrigin);
  return contents;
}

beforeEach(() => {
  resetElectron();
});

describe('isSameOrigin()', () => {
  it.each([
    ['http://127.0.0.1:8025/#/deliveries/abc', true],
    ['http://127.0.0.1:8025/api/mailscope/deliveries', true],
    ['http://127.0.0.1:8026/', false],
    ['http://localhost:8025/', false],
    ['https://127.0.0.1:8025/', false],
    ['not a url', false],
  ])('%s is same origin: %s', (url, expected) => {
    expect(isSameOrigin(url, origin)).toBe(expected);
  });

  it('is false while no core runs', () => {
    expect(isSameOrigin('http://127.0.0.1:8025/', null)).toBe(false);
  });
});

describe('isSafeExternalUrl()', () => {
  it.each([
    ['https://example.test/docs', true],
    ['http://example.test/', true],
    ['mailto:someone@example.test', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://server/share', false],
    ['data:text/html,hi', false],
  ])('%s is safe: %s', (url, expected) => {
    expect(isSafeExternalUrl(url)).toBe(expected);
  });
});

describe('coreOrigin()', () => {
  it.each([
    [{ host: '127.0.0.1', port: 8025 }, 'http://127.0.0.1:8025'],
    [{ host: '0.0.0.0', port: 8025 }, 'http://127.0.0.1:8025'],
    [{ host: '::1', port: 9000 }, 'http://[::1]:9000'],
    [{ host: '::', port: 9000 }, 'http://[::1]:9000'],
  ])('%j loads from %s', (address, expected) => {
    expect(coreOrigin(address)).toBe(expected);
  });
});

describe('guardWebContents()', () => {
  it('lets the window navigate within the core origin', () => {
    const contents = guarded();

    expect(contents.navigate('will-navigate', `${origin}/#/deliveries/abc`)).toBe(false);
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('opens another site in the system browser instead', () => {
    const contents = guarded();

    expect(contents.navigate('will-navigate', 'https://example.test/docs')).toBe(true);
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.test/docs');
  });

  it('cancels a file URL without opening it', () => {
    const contents = guarded();

    expect(contents.navigate('will-navigate', 'file:///home/user/message.eml')).toBe(true);
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('cancels every navigation while no core runs', () => {
    const contents = guarded(null);

    expect(contents.navigate('will-navigate', `${origin}/`)).toBe(true);
  });

  it('lets a frame show core pages and empty documents', () => {
    const contents = guarded();

    expect(contents.navigate('will-frame-navigate', `${origin}/view/abc.html`, false)).toBe(false);
    expect(contents.navigate('will-frame-navigate', 'about:srcdoc', false)).toBe(false);
  });

  it('cancels a frame leaving the origin without opening it', () => {
    const contents = guarded();

    expect(contents.navigate('will-frame-navigate', 'https://tracker.example.test/', false)).toBe(
      true,
    );
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('denies window.open and sends the URL to the system browser', () => {
    const contents = guarded();

    const response = contents.windowOpenHandler?.({ url: 'https://example.test/' });

    expect(response).toEqual({ action: 'deny' });
    expect(shell.openExternal).toHaveBeenCalledWith('https://example.test/');
  });

  it('denies window.open of a javascript URL without opening it', () => {
    const contents = guarded();

    expect(contents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({
      action: 'deny',
    });
    expect(shell.openExternal).not.toHaveBeenCalled();
  });

  it('refuses to attach a webview', () => {
    const contents = guarded();
    const preventDefault = vi.fn();

    contents.emit('will-attach-webview', { preventDefault });

    expect(preventDefault).toHaveBeenCalled();
  });
});

describe('setupNavigationGuard()', () => {
  it('guards every WebContents the app creates', () => {
    setupNavigationGuard(() => origin);
    const contents = new FakeWebContents();

    app.emit('web-contents-created', {}, contents);

    expect(contents.setWindowOpenHandler).toHaveBeenCalled();
    expect(contents.navigate('will-navigate', 'https://example.test/')).toBe(true);
  });
});
