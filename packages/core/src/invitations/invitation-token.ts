import { createHash, createHmac } from 'node:crypto';

/**
 * An invitation's token is derived from its id with the platform's secret key (HMAC-SHA256), so it
 * is never stored nor carried in workflow history: the database keeps its SHA-256, and the mail
 * step derives it again when it writes the link.
 */
export function invitationToken(secretKey: string, invitationId: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'base64')).update(`invitation:${invitationId}`).digest('base64url');
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
