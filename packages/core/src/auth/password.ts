import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** Algorithm.Argon2id (a const enum, which type stripping cannot read). */
const ARGON2ID = 2 as Algorithm;
/** argon2id with OWASP's minimum (19 MiB, t=2, p=1). */
export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Verifies against a throw-away hash so an unknown e-mail costs as much time as a known one. */
export async function burnVerifyTime(password: string): Promise<void> {
  dummy ??= hashPassword('mutualis-timing-equaliser');
  await verifyPassword(await dummy, password);
}
