import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (database passwords, OIDC client secrets waiting to be shown to the DSI):
 * AES-256-GCM with a key derived (HKDF-SHA-256) from MUTUALIS_SECRET_KEY, a random 96-bit IV per
 * secret, and the row it belongs to as associated data, so a ciphertext copied onto another row
 * does not decrypt. Layout: version (1 byte) · IV (12) · tag (16) · ciphertext.
 */
const VERSION = 1;

function keyOf(secretKey: string): Buffer {
  const master = Buffer.from(secretKey, 'base64');
  if (master.length < 32) throw new Error('MUTUALIS_SECRET_KEY must be a base64 key of at least 32 bytes.');
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'mutualis/secrets/v1', 32));
}

export function encryptSecret(secretKey: string, plaintext: string, boundTo: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secretKey), iv);
  cipher.setAAD(Buffer.from(boundTo));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function decryptSecret(secretKey: string, box: Buffer, boundTo: string): string {
  if (box[0] !== VERSION || box.length < 29) throw new Error('Unknown secret format.');
  const decipher = createDecipheriv('aes-256-gcm', keyOf(secretKey), box.subarray(1, 13));
  decipher.setAAD(Buffer.from(boundTo));
  decipher.setAuthTag(box.subarray(13, 29));
  return Buffer.concat([decipher.update(box.subarray(29)), decipher.final()]).toString('utf8');
}

/** A new random secret: 32 bytes, base64url (43 characters, no quoting needed anywhere). */
export const randomSecret = () => randomBytes(32).toString('base64url');
