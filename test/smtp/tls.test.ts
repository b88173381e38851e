import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createCertificate, loadOrCreateCertificate } from '../../src/smtp/tls.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mailscope-tls-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const keyPath = (): string => path.join(dataDir, 'tls', 'key.pem');
const certPath = (): string => path.join(dataDir, 'tls', 'cert.pem');

/** Stores a key and certificate as if an earlier start had made them. */
async function storePair(key: string, cert: string): Promise<void> {
  await mkdir(path.join(dataDir, 'tls'), { recursive: true });
  await writeFile(keyPath(), key, { mode: 0o600 });
  await writeFile(certPath(), cert);
}

describe('loadOrCreateCertificate', () => {
  it('creates a loopback certificate', async () => {
    const result = await loadOrCreateCertificate(dataDir);

    const x509 = new X509Certificate(result.cert);
    expect(result.created).toBe(true);
    expect(x509.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    expect(await readFile(certPath(), 'utf8')).toBe(result.cert);
    expect(await readFile(keyPath(), 'utf8')).toBe(result.key);
  });

  it('keeps the key readable by the owner only', async () => {
    await loadOrCreateCertificate(dataDir);

    const { mode } = await stat(keyPath());
    expect(mode & 0o777).toBe(0o600);
  });

  it('reuses the stored certificate on later starts', async () => {
    const first = await loadOrCreateCertificate(dataDir);

    const second = await loadOrCreateCertificate(dataDir);

    expect(second.created).toBe(false);
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
  });

  it('restricts a key file whose mode was loosened', async () => {
    await loadOrCreateCertificate(dataDir);
    await chmod(keyPath(), 0o644);

    await loadOrCreateCertificate(dataDir);

    expect((await stat(keyPath())).mode & 0o777).toBe(0o600);
  });

  it('replaces a certificate that expires within 30 days', async () => {
    const old = await createCertificate(new Date(Date.now() - 800 * 86_400_000));
    await storePair(old.key, old.cert);

    const result = await loadOrCreateCertificate(dataDir);

    expect(result.created).toBe(true);
    expect(result.cert).not.toBe(old.cert);
  });

  it('replaces a mismatched key', async () => {
    const [first, second] = await Promise.all([
      createCertificate(new Date()),
      createCertificate(new Date()),
    ]);
    await storePair(first.key, second.cert);

    const result = await loadOrCreateCertificate(dataDir);

    expect(result.created).toBe(true);
    const x509 = new X509Certificate(result.cert);
    expect(x509.checkPrivateKey(createPrivateKey(result.key))).toBe(true);
  });

  it('replaces files that are not PEM', async () => {
    await storePair('not a key', 'not a certificate');

    const result = await loadOrCreateCertificate(dataDir);

    expect(result.created).toBe(true);
    expect(await readFile(certPath(), 'utf8')).toBe(result.cert);
  });
});
