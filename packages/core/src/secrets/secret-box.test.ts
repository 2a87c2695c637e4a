import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, randomSecret } from './secret-box.ts';

const key = randomBytes(32).toString('base64');

describe('secret box (AES-256-GCM)', () => {
  it('round-trips, with a fresh IV each time', () => {
    const secret = randomSecret();
    const a = encryptSecret(key, secret, 'resource-1');
    const b = encryptSecret(key, secret, 'resource-1');
    expect(a.equals(b)).toBe(false);
    expect(a.includes(Buffer.from(secret))).toBe(false);
    expect(decryptSecret(key, a, 'resource-1')).toBe(secret);
  });

  it('refuses another row, another key and a tampered byte', () => {
    const box = encryptSecret(key, 'mot-de-passe', 'resource-1');
    expect(() => decryptSecret(key, box, 'resource-2')).toThrow();
    expect(() => decryptSecret(randomBytes(32).toString('base64'), box, 'resource-1')).toThrow();
    const tampered = Buffer.from(box);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decryptSecret(key, tampered, 'resource-1')).toThrow();
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => encryptSecret(randomBytes(16).toString('base64'), 'x', 'r')).toThrow(/32 bytes/);
  });
});
