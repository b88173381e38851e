import { describe, expect, it } from 'vitest';

import { parseCli, type Config } from '../../src/config.js';
import { compileRecipientPattern, rejectedByAllowlist } from '../../src/relay/allowlist.js';
import { splitPatterns } from '../../src/relay/options.js';

function relayOf(argv: string[], env: NodeJS.ProcessEnv = {}): NonNullable<Config['relay']> {
  const request = parseCli(argv, env);
  if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
  if (request.config.relay === undefined) throw new Error('no relay settings');
  return request.config.relay;
}

describe('relay options', () => {
  it('default to release off', () => {
    const relay = relayOf([]);
    expect(relay.server).toBeNull();
    expect(relay.tls).toBe('none');
    expect(relay.allowedRecipients).toEqual([]);
  });

  it('read every option', () => {
    const relay = relayOf([
      ...['--relay-server', 'smtp.example.test:2525', '--relay-tls', 'STARTTLS'],
      ...['--relay-allow-self-signed', '--relay-auth', 'user:pa:ss'],
      ...['--relay-from', 'bounce@example.test', '--relay-matching', 'subject:x'],
      ...['--relay-allowed-recipients', '*@example.test, /^a{1,3}@x\\.test$/i'],
    ]);
    expect(relay.server).toEqual({ host: 'smtp.example.test', port: 2525 });
    expect(relay.tls).toBe('starttls');
    expect(relay.allowSelfSigned).toBe(true);
    expect(relay.auth).toEqual({ user: 'user', password: 'pa:ss' });
    expect(relay.from).toBe('bounce@example.test');
    expect(relay.relayMatching).toBe('subject:x');
    expect(relay.allowedRecipients).toEqual(['*@example.test', '/^a{1,3}@x\\.test$/i']);
  });

  it('read the environment', () => {
    const relay = relayOf([], {
      MAILSCOPE_RELAY_SERVER: '[::1]:25',
      MAILSCOPE_RELAY_ALLOW_SELF_SIGNED: '1',
    });
    expect(relay.server).toEqual({ host: '::1', port: 25 });
    expect(relay.allowSelfSigned).toBe(true);
  });

  it('default the port by TLS mode', () => {
    expect(relayOf(['--relay-server', 'mail.example.test']).server?.port).toBe(25);
    const implicit = relayOf(['--relay-server', 'mail.example.test', '--relay-tls', 'tls']);
    expect(implicit.server?.port).toBe(465);
  });

  it.each([
    [['--relay-tls', 'ssl'], /Invalid --relay-tls/],
    [['--relay-server', 'host:99999'], /Invalid --relay-server/],
    [['--relay-auth', 'nouser'], /Invalid --relay-auth/],
    [['--relay-from', 'Name <a@example.test>'], /Invalid relay sender/],
    [['--relay-allowed-recipients', '/[/'], /Invalid allowlist pattern/],
  ])('reject %j', (argv, message) => {
    expect(() => parseCli(argv, {})).toThrow(message);
  });
});

describe('relay option fields', () => {
  function fieldsOf(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const request = parseCli(argv, env);
    if (request.kind !== 'run') throw new Error(`unexpected CLI request ${request.kind}`);
    return request.config.relayOptionFields;
  }

  it('are empty without relay options', () => {
    expect(fieldsOf([])).toEqual([]);
  });

  it('name each option and variable set', () => {
    const fields = fieldsOf(
      ['--relay-server', 'smtp.example.test:25', '--relay-allow-self-signed'],
      {
        MAILSCOPE_RELAY_FROM: 'bounce@example.test',
        MAILSCOPE_RELAY_TLS: '',
      },
    );
    expect(fields).toEqual(['server', 'allowSelfSigned', 'from']);
  });

  it('count a flag variable set to 0', () => {
    expect(fieldsOf([], { MAILSCOPE_RELAY_ALLOW_SELF_SIGNED: '0' })).toEqual(['allowSelfSigned']);
  });
});

describe('allowlist patterns', () => {
  it('split at commas outside regular expressions', () => {
    expect(splitPatterns('a@x.test,/b{1,2}@y/i , *@z.test')).toEqual([
      'a@x.test',
      '/b{1,2}@y/i',
      '*@z.test',
    ]);
  });

  it.each([
    ['User@Example.test', 'user@example.test', true],
    ['user@example.test', 'other@example.test', false],
    ['*@example.test', 'Anyone@EXAMPLE.test', true],
    ['*@example.test', 'anyone@example.test.evil', false],
    ['qa+*@corp.test', 'qa+1@corp.test', true],
    ['/^dev-\\d+@corp\\.test$/', 'dev-42@corp.test', true],
    ['/^dev-\\d+@corp\\.test$/', 'DEV-42@corp.test', false],
    ['/^dev-\\d+@corp\\.test$/i', 'DEV-42@corp.test', true],
  ])('%s against %s', (pattern, address, expected) => {
    expect(compileRecipientPattern(pattern).test(address)).toBe(expected);
  });

  it('allow every address when empty', () => {
    expect(rejectedByAllowlist(['a@x.test'], [])).toEqual([]);
  });
});
