import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  ConfigError,
  DEFAULT_MAX_MESSAGE_SIZE,
  isLoopbackHost,
  parseByteSize,
  parseCli,
  parseDuration,
  parseListenAddress,
  type Config,
} from '../src/config.js';
import { defaultDataDir } from '../src/paths.js';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const request = parseCli(argv, { HOME: '/home/u', ...env });
  if (request.kind !== 'run') throw new Error(`expected a run request, got ${request.kind}`);
  return request.config;
}

describe('parseCli()', () => {
  it('uses the documented defaults', () => {
    const config = run([], { XDG_DATA_HOME: '/data' });

    expect(config.smtp).toEqual({ host: '127.0.0.1', port: 1025 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8025 });
    expect(config.dataDir).toBe('/data/mailscope');
    expect(config.dbPath).toBe('/data/mailscope/mailscope.db');
    expect(config.maxMessageSize).toBe(DEFAULT_MAX_MESSAGE_SIZE);
    expect(config.maxRecipients).toBe(1000);
    expect(config.maxMessages).toBe(10_000);
    expect(config.maxAgeMs).toBeNull();
    expect(config.smtpAuth).toBeNull();
  });

  it('reads environment variables and lets options win over them', () => {
    const env = { MAILSCOPE_SMTP: '0.0.0.0:2525', MAILSCOPE_DB: ':memory:' };

    expect(run([], env).smtp).toEqual({ host: '0.0.0.0', port: 2525 });
    expect(run([], env).dbPath).toBe(':memory:');
    expect(run(['--smtp', '127.0.0.1:0'], env).smtp).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('resolves a relative database path', () => {
    expect(run(['--db', 'mail.db']).dbPath).toBe(path.resolve('mail.db'));
  });

  it('parses credentials, sizes and ages', () => {
    const config = run([
      '--smtp-auth',
      'u:p:with:colons',
      '--max-message-size',
      '1K',
      '--max-age',
      '7d',
      '--max-recipients',
      '5',
    ]);

    expect(config.smtpAuth).toEqual({ user: 'u', password: 'p:with:colons' });
    expect(config.maxMessageSize).toBe(1024);
    expect(config.maxAgeMs).toBe(7 * 86_400_000);
    expect(config.maxRecipients).toBe(5);
  });

  it('answers --help and --version', () => {
    expect(parseCli(['--help'], {}).kind).toBe('help');
    expect(parseCli(['-v'], {}).kind).toBe('version');
  });

  it('rejects unknown options and bad values with the fix in the message', () => {
    expect(() => parseCli(['--smpt', 'x'], {})).toThrow(ConfigError);
    expect(() => run(['--smtp', 'localhost'])).toThrow(/expected HOST:PORT/);
    expect(() => run(['--max-recipients', '0'])).toThrow(/whole number above 0/);
    expect(() => run(['--smtp-auth', 'nopassword'])).toThrow(/USER:PASSWORD/);
    expect(() => run(['--tls-cert', 'a.pem'])).toThrow(/together/);
  });
});

describe('HTTP auth options', () => {
  it('reads --http-auth and MAILSCOPE_HTTP_AUTH', () => {
    expect(run([]).httpAuth).toBeNull();
    expect(run(['--http-auth', 'qa:pass:word']).httpAuth).toEqual({
      user: 'qa',
      password: 'pass:word',
    });
    expect(run([], { MAILSCOPE_HTTP_AUTH: 'env:pw' }).httpAuth).toEqual({
      user: 'env',
      password: 'pw',
    });
    expect(() => run(['--http-auth', 'nopassword'])).toThrow(/Invalid --http-auth value/);
  });

  it('rejects a non-loopback --http without a password', () => {
    expect(() => run(['--http', '0.0.0.0:8025'])).toThrow(
      /--http 0\.0\.0\.0:8025 is not a loopback address.*--http-auth USER:PASS.*--http-no-auth/,
    );
    expect(() => run([], { MAILSCOPE_HTTP: '192.0.2.10:8025' })).toThrow(ConfigError);
  });

  it('allows a non-loopback --http with --http-auth or --http-no-auth', () => {
    expect(run(['--http', '0.0.0.0:8025', '--http-auth', 'u:p']).http.host).toBe('0.0.0.0');
    expect(run(['--http', '0.0.0.0:8025', '--http-no-auth']).httpAuth).toBeNull();
    expect(run(['--http', '[::]:8025'], { MAILSCOPE_HTTP_NO_AUTH: '1' }).http.host).toBe('::');
  });
});

describe('isLoopbackHost()', () => {
  it.each(['localhost', '127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])(
    'accepts %s',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '192.0.2.10', 'mail.example.test', '128.0.0.1'])(
    'rejects %s',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('parseListenAddress()', () => {
  const fallback = { host: '127.0.0.1', port: 1 };

  it('accepts IPv6 in brackets, a bare port and an empty host', () => {
    expect(parseListenAddress('[::1]:25', fallback, '--smtp')).toEqual({ host: '::1', port: 25 });
    expect(parseListenAddress('2525', fallback, '--smtp')).toEqual({
      host: '127.0.0.1',
      port: 2525,
    });
    expect(parseListenAddress(':0', fallback, '--smtp')).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('rejects a port above 65535', () => {
    expect(() => parseListenAddress('a:70000', fallback, '--smtp')).toThrow(ConfigError);
  });
});

describe('parseByteSize() and parseDuration()', () => {
  it('reads units', () => {
    expect(parseByteSize('50M', 0)).toBe(50 * 1024 * 1024);
    expect(parseByteSize('512MiB', 0)).toBe(512 * 1024 ** 2);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
  });

  it('rejects nonsense', () => {
    expect(() => parseByteSize('lots', 0)).toThrow(ConfigError);
    expect(() => parseDuration('7 weeks')).toThrow(ConfigError);
    expect(() => parseDuration('0d')).toThrow(ConfigError);
  });
});

describe('defaultDataDir()', () => {
  it('follows each platform’s convention', () => {
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.local/share/mailscope');
    expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/u')).toBe(
      '/home/u/.local/share/mailscope',
    );
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Mailscope',
    );
    expect(
      defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'),
    ).toBe('C:\\Users\\u\\AppData\\Roaming\\Mailscope');
  });
});

describe('parseCli() validation', () => {
  it('rejects an unknown log level', () => {
    expect(() => run(['--log-level', 'verbose'])).toThrow(/expected one of fatal, error/);
    expect(run(['--log-level', 'DEBUG']).logLevel).toBe('debug');
  });

  it('reads on/off variables and rejects other values', () => {
    expect(run([], { MAILSCOPE_NO_STARTTLS: 'on' }).noStartTls).toBe(true);
    expect(run([], { MAILSCOPE_NO_STARTTLS: 'off' }).noStartTls).toBe(false);
    expect(() => run([], { MAILSCOPE_SMTP_AUTH_REQUIRE_TLS: 'enabled' })).toThrow(
      /Invalid MAILSCOPE_SMTP_AUTH_REQUIRE_TLS value "enabled"/,
    );
  });

  it('names the environment variable when it holds the bad value', () => {
    expect(() => run([], { MAILSCOPE_SMTP: 'bad' })).toThrow(/Invalid MAILSCOPE_SMTP value/);
    expect(() => run(['--smtp', 'bad'])).toThrow(/Invalid --smtp value/);
    expect(() => run([], { MAILSCOPE_MAX_RECIPIENTS: 'x' })).toThrow(
      /Invalid MAILSCOPE_MAX_RECIPIENTS value/,
    );
  });

  it('caps the message size at what SQLite stores', () => {
    expect(() => run(['--max-message-size', '99999999G'])).toThrow(/from 1 byte to 1000000000/);
    expect(run(['--max-message-size', '900M']).maxMessageSize).toBe(900 * 1024 * 1024);
  });
});
