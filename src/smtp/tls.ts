import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Logger } from 'pino';

/** A PEM private key and certificate for STARTTLS. */
export interface TlsCertificate {
  key: string | Buffer;
  cert: string | Buffer;
}

/** Validity of a new certificate, in days. */
const VALIDITY_DAYS = 825;

/** A stored certificate that expires within this many days is replaced. */
const RENEW_BEFORE_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Names that the certificate covers: the loopback names a local client connects to. */
const SUBJECT_ALT_NAMES = [
  { type: 2 as const, value: 'localhost' },
  { type: 7 as const, ip: '127.0.0.1' },
  { type: 7 as const, ip: '::1' },
];

/**
 * Returns the STARTTLS certificate kept in `<dataDir>/tls/cert.pem` and `key.pem`. On
 * first start, and when the stored pair is unreadable, mismatched or expires within 30
 * days, it makes a new self-signed certificate for localhost, 127.0.0.1 and ::1 and
 * stores it, with the key readable by the owner only (mode 0600).
 */
export async function loadOrCreateCertificate(
  dataDir: string,
  options: { logger?: Logger } = {},
): Promise<{ key: string; cert: string; created: boolean }> {
  const folder = path.join(dataDir, 'tls');
  const keyPath = path.join(folder, 'key.pem');
  const certPath = path.join(folder, 'cert.pem');

  const stored = await readStoredCertificate(keyPath, certPath);
  if (stored.certificate !== null) {
    await restrictKeyFile(keyPath);
    return { ...stored.certificate, created: false };
  }
  if (stored.problem !== null) {
    options.logger?.warn(
      { certPath, problem: stored.problem },
      'replacing the STARTTLS certificate',
    );
  }

  const certificate = await createCertificate(new Date());
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeFileAtomically(keyPath, certificate.key, 0o600);
  await writeFileAtomically(certPath, certificate.cert, 0o644);
  options.logger?.info({ certPath }, 'created a self-signed STARTTLS certificate');
  return { ...certificate, created: true };
}

/** Makes a self-signed certificate for the loopback names, valid from `now`. */
export async function createCertificate(now: Date): Promise<{ key: string; cert: string }> {
  // Loaded on demand, because importing selfsigned and its ASN.1 libraries adds about
  // 16 MiB of resident memory (3 MiB of heap) on Node.js 20, which a start that finds a
  // stored certificate does not need.
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    // An hour of slack for clients whose clock is a little behind.
    notBeforeDate: new Date(now.getTime() - 60 * 60 * 1000),
    notAfterDate: new Date(now.getTime() + VALIDITY_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: SUBJECT_ALT_NAMES },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

type StoredCertificate =
  | { certificate: { key: string; cert: string }; problem: null }
  /** `problem` is null when there were no files yet. */
  | { certificate: null; problem: string | null };

async function readStoredCertificate(
  keyPath: string,
  certPath: string,
): Promise<StoredCertificate> {
  let key: string;
  let cert: string;
  try {
    [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { certificate: null, problem: null };
    }
    return { certificate: null, problem: `cannot be read: ${(error as Error).message}` };
  }

  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) {
      return { certificate: null, problem: 'key.pem does not belong to cert.pem' };
    }
    const expiresAt = new Date(x509.validTo).getTime();
    if (expiresAt - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) {
      return { certificate: null, problem: `expires on ${x509.validTo}` };
    }
  } catch (error) {
    return { certificate: null, problem: `is not a valid PEM pair: ${(error as Error).message}` };
  }
  return { certificate: { key, cert }, problem: null };
}

/** Sets the key file to mode 0600 if it was loosened. Windows ignores file modes. */
async function restrictKeyFile(keyPath: string): Promise<void> {
  const { mode } = await stat(keyPath);
  if ((mode & 0o777) !== 0o600) {
    await chmod(keyPath, 0o600);
  }
}

/** Writes through a temporary file and a rename, so a crash never leaves half a PEM file. */
async function writeFileAtomically(filePath: string, content: string, mode: number): Promise<void> {
  const temporaryPath = `${filePath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporaryPath, content, { mode, flag: 'wx' });
    await chmod(temporaryPath, mode);
    await rename(temporaryPath, filePath);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
}
