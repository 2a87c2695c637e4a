import { createHash, randomInt, randomUUID } from 'node:crypto';
import { generateSecret, generateURI, verify as verifyTotpCode } from 'otplib';
import {
  generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type AuthenticatorTransport, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { sql, withTenant, type Db, type Tx } from '@mutualis/db';
import { appendAudit } from '../audit/audit.service.ts';
import { auditMemberOf, tenantOf, type Actor } from '../actor.ts';
import { DomainError, NotFoundError, ValidationError } from '../errors.ts';
import { decryptSecret, encryptSecret } from '../secrets/secret-box.ts';
import { findLiveSession, mfaRequired, type LiveSession } from './auth.service.ts';

/** TOTP as RFC 6238 with the usual authenticator-app settings: SHA-1, 6 digits, 30 s steps. */
const PERIOD = 30;
/** Clock drift accepted: the previous and the next step. */
const TOLERANCE_S = PERIOD;
/** Wrong codes a pending session may show before it is ended (the password must be typed again). */
export const MAX_SECOND_FACTOR_FAILURES = 5;
export const RECOVERY_CODE_COUNT = 10;
const CHALLENGE_TTL_MS = 5 * 60 * 1000;

/** Where WebAuthn credentials are scoped: the platform's origin (ORIGIN) and its host name. */
export interface WebAuthnRelyingParty { rpId: string; origin: string; rpName: string }
export function relyingPartyOf(origin: string): WebAuthnRelyingParty {
  return { rpId: new URL(origin).hostname, origin: new URL(origin).origin, rpName: 'Mutualis' };
}

export class SecondFactorRefusedError extends DomainError {
  constructor(message: string) { super(message, 'UNAUTHORIZED'); }
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
/** Recovery codes are compared without dashes, spaces or case. */
const normaliseRecoveryCode = (code: string) => code.replace(/[^a-z0-9]/gi, '').toLowerCase();
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Who is proving a second factor: a session awaiting one, or a fully signed-in user adding one. */
interface Holder { sessionId: string; userId: string; syndicateId: string; secondFactor: 'done' | 'verify' | 'enrol' }

function holderOfActor(actor: Actor): Holder {
  return { sessionId: actor.sessionId, userId: actor.userId, syndicateId: actor.syndicateId, secondFactor: 'done' };
}

/** The session behind a token that still awaits its second factor (`verify`) or its enrolment (`enrol`), or null. */
export async function pendingSession(db: Db, token: string | undefined | null): Promise<LiveSession | null> {
  const session = await findLiveSession(db, token);
  return session && session.secondFactor !== 'done' ? session : null;
}

const inTenant = <T>(db: Db, holder: Holder, fn: (tx: Tx) => Promise<T>) => withTenant(db, { syndicateId: holder.syndicateId, memberIds: null }, fn);

async function audit(tx: Tx, holder: Holder, action: string, after: Record<string, unknown>, ip: string | null) {
  const memberships = await tx.selectFrom('memberships').select(['role', 'memberId']).where('userId', '=', holder.userId).execute();
  await appendAudit(tx, {
    syndicateId: holder.syndicateId, memberId: auditMemberOf(tenantOf(holder.syndicateId, memberships)), actorUserId: holder.userId,
    action, subjectType: 'User', subjectId: holder.userId, after, ip,
  });
}

/** What the person has: for the account page and the verification page. */
export interface FactorSummary { id: string; kind: 'totp' | 'webauthn'; label: string; createdAt: Date; lastUsedAt: Date | null }
export interface SecondFactorStatus { factors: FactorSummary[]; recoveryCodesLeft: number; required: boolean }

async function statusOf(tx: Tx, userId: string): Promise<SecondFactorStatus> {
  const factors = await tx.selectFrom('userFactors').select(['id', 'kind', 'label', 'createdAt', 'lastUsedAt'])
    .where('userId', '=', userId).where('confirmedAt', 'is not', null).orderBy('createdAt').execute();
  const codes = await tx.selectFrom('recoveryCodes').select(sql<number>`count(*)::int`.as('n')).where('userId', '=', userId).where('usedAt', 'is', null).executeTakeFirstOrThrow();
  return { factors, recoveryCodesLeft: codes.n, required: await mfaRequired(tx, userId) };
}

export function secondFactorStatus(db: Db, who: Actor | LiveSession): Promise<SecondFactorStatus> {
  return withTenant(db, { syndicateId: who.syndicateId, memberIds: null }, (tx) => statusOf(tx, who.userId));
}

// ————— TOTP enrolment —————

/** The time step a code belongs to if it is valid now (±1 step) and later than `afterTimeStep`, else null. */
async function checkTotp(secret: string, code: string, afterTimeStep: number | undefined): Promise<{ timeStep: number } | null> {
  const token = code.replace(/\s/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const result = await verifyTotpCode({ secret, token, epochTolerance: TOLERANCE_S, period: PERIOD, ...(afterTimeStep === undefined ? {} : { afterTimeStep }) });
  return result.valid && 'timeStep' in result ? { timeStep: result.timeStep as number } : null;
}

export interface TotpEnrolment { factorId: string; secret: string; uri: string }

/**
 * Starts adding an authenticator app: a new secret (160 bits), kept encrypted and unconfirmed until
 * the first code proves the app holds it. An earlier unconfirmed attempt is replaced.
 */
export async function startTotpEnrolment(db: Db, who: Actor | LiveSession, secretKey: string, label = 'Application d’authentification'): Promise<TotpEnrolment> {
  const holder = 'ability' in who ? holderOfActor(who) : who;
  return inTenant(db, holder, async (tx) => {
    const user = await tx.selectFrom('users').select('email').where('id', '=', holder.userId).executeTakeFirstOrThrow();
    await tx.deleteFrom('userFactors').where('userId', '=', holder.userId).where('kind', '=', 'totp').where('confirmedAt', 'is', null).execute();
    const secret = generateSecret();
    const factorId = randomUUID();
    await tx.insertInto('userFactors').values({
      id: factorId, syndicateId: holder.syndicateId, userId: holder.userId, kind: 'totp', label,
      totpSecretCiphertext: encryptSecret(secretKey, secret, `user_factors:${factorId}`),
    }).execute();
    return { factorId, secret, uri: generateURI({ secret, issuer: 'Mutualis', label: user.email, period: PERIOD }) };
  });
}

export interface EnrolmentResult {
  /** shown once: the user must write them down (null when they still have unused ones) */
  recoveryCodes: string[] | null;
}

/** Confirms the app with its first code; a pending session (`enrol`) is then open. */
export async function confirmTotpEnrolment(db: Db, who: Actor | LiveSession, secretKey: string, factorId: string, code: string, ip: string | null): Promise<EnrolmentResult> {
  const holder = 'ability' in who ? holderOfActor(who) : who;
  return inTenant(db, holder, async (tx) => {
    const factor = await tx.selectFrom('userFactors').selectAll().where('id', '=', factorId).where('userId', '=', holder.userId)
      .where('kind', '=', 'totp').where('confirmedAt', 'is', null).forUpdate().executeTakeFirst();
    if (!factor) throw new NotFoundError("Cet ajout d'application a expiré : recommencez.");
    const secret = decryptSecret(secretKey, factor.totpSecretCiphertext!, `user_factors:${factor.id}`);
    const result = await checkTotp(secret, code, undefined);
    if (!result) throw new ValidationError('code', "Ce code ne correspond pas. Vérifiez l'heure de votre téléphone et saisissez le code affiché maintenant.");
    await tx.updateTable('userFactors').set({ confirmedAt: new Date(), lastUsedAt: new Date(), totpLastStep: result.timeStep }).where('id', '=', factor.id).execute();
    const recoveryCodes = await ensureRecoveryCodes(tx, holder);
    await audit(tx, holder, 'auth.factor_added', { kind: 'totp', label: factor.label }, ip);
    if (holder.secondFactor !== 'done') await openSession(tx, holder, ['otp'], ip);
    return { recoveryCodes };
  });
}

// ————— Step-up —————

/**
 * An application asks for MFA and the session was opened with a password only: the session goes
 * back to awaiting a second factor (`verify`; `enrol` for someone who has none yet) until one is
 * shown. Until then it grants nothing, as at login.
 */
export async function requireSecondFactor(db: Db, actor: Actor): Promise<'verify' | 'enrol'> {
  const holder = holderOfActor(actor);
  return inTenant(db, holder, async (tx) => {
    const factor = await tx.selectFrom('userFactors').select('id').where('userId', '=', holder.userId).where('confirmedAt', 'is not', null).limit(1).executeTakeFirst();
    const state = factor ? 'verify' as const : 'enrol' as const;
    await tx.updateTable('sessions').set({ secondFactor: state, secondFactorFailures: 0 }).where('id', '=', holder.sessionId).where('secondFactor', '=', 'done').execute();
    await audit(tx, holder, 'auth.step_up_required', { state }, actor.ip);
    return state;
  });
}

// ————— Verification at login —————

export type SecondFactorProof = { kind: 'totp'; code: string } | { kind: 'recovery'; code: string };

/**
 * Checks a code for a session awaiting its second factor. A TOTP code is accepted once: its time
 * step must be later than the last one accepted for that factor (a replay inside its window is
 * refused), which the conditional update makes true even for two requests racing. A recovery code
 * works once. After five wrong codes the pending session is ended.
 */
export async function verifySecondFactor(db: Db, session: LiveSession, secretKey: string, proof: SecondFactorProof, ip: string | null): Promise<void> {
  if (session.secondFactor !== 'verify') throw new SecondFactorRefusedError("Cette session n'attend pas de second facteur.");
  const accepted = await inTenant(db, session, async (tx) => {
    if (proof.kind === 'recovery') {
      const used = await tx.updateTable('recoveryCodes').set({ usedAt: new Date() })
        .where('userId', '=', session.userId).where('usedAt', 'is', null).where('codeHash', '=', sha256(normaliseRecoveryCode(proof.code)))
        .returning('id').executeTakeFirst();
      if (!used) return false;
      const left = await tx.selectFrom('recoveryCodes').select(sql<number>`count(*)::int`.as('n')).where('userId', '=', session.userId).where('usedAt', 'is', null).executeTakeFirstOrThrow();
      await audit(tx, session, 'auth.recovery_code_used', { left: left.n }, ip);
      await openSession(tx, session, ['mfa'], ip);
      return true;
    }
    const factors = await tx.selectFrom('userFactors').select(['id', 'totpSecretCiphertext', 'totpLastStep'])
      .where('userId', '=', session.userId).where('kind', '=', 'totp').where('confirmedAt', 'is not', null).execute();
    for (const factor of factors) {
      const secret = decryptSecret(secretKey, factor.totpSecretCiphertext!, `user_factors:${factor.id}`);
      const result = await checkTotp(secret, proof.code, factor.totpLastStep === null ? undefined : Number(factor.totpLastStep));
      if (!result) continue;
      // The step moves forward only: a concurrent request with the same code finds no row to update.
      const claimed = await tx.updateTable('userFactors').set({ totpLastStep: result.timeStep, lastUsedAt: new Date() })
        .where('id', '=', factor.id).where((eb) => eb.or([eb('totpLastStep', 'is', null), eb('totpLastStep', '<', String(result.timeStep))]))
        .returning('id').executeTakeFirst();
      if (!claimed) return false;
      await openSession(tx, session, ['otp'], ip);
      return true;
    }
    return false;
  });
  if (!accepted) await refuse(db, session, ip);
}

/** A wrong code: counted, audited; at the limit the pending session is ended. */
async function refuse(db: Db, session: LiveSession, ip: string | null): Promise<never> {
  const ended = await inTenant(db, session, async (tx) => {
    const row = await tx.updateTable('sessions').set((eb) => ({ secondFactorFailures: eb('secondFactorFailures', '+', 1) }))
      .where('id', '=', session.sessionId).returning('secondFactorFailures').executeTakeFirstOrThrow();
    const end = row.secondFactorFailures >= MAX_SECOND_FACTOR_FAILURES;
    if (end) await tx.updateTable('sessions').set({ endedAt: new Date() }).where('id', '=', session.sessionId).execute();
    await audit(tx, session, 'auth.second_factor_failed', { failures: row.secondFactorFailures, sessionEnded: end }, ip);
    return end;
  });
  throw new SecondFactorRefusedError(ended
    ? 'Trop de codes incorrects : pour votre sécurité, reconnectez-vous avec votre mot de passe.'
    : 'Code incorrect ou déjà utilisé. Attendez le code suivant de votre application, ou utilisez un code de secours.');
}

/** The pending session becomes a full one; `amr` records the second factor (RFC 8176). */
async function openSession(tx: Tx, holder: Holder, methods: string[], ip: string | null): Promise<void> {
  const updated = await tx.updateTable('sessions')
    .set((eb) => ({ secondFactor: 'done', amr: sql<string[]>`(select array(select distinct unnest(${eb.ref('amr')} || ${sql.val([...methods, 'mfa'])}::text[])))`, webauthnChallenge: null }))
    .where('id', '=', holder.sessionId).where('endedAt', 'is', null).returning('amr').executeTakeFirst();
  if (!updated) throw new SecondFactorRefusedError('Cette session a été fermée : reconnectez-vous.');
  await audit(tx, holder, 'auth.second_factor', { amr: updated.amr }, ip);
}

// ————— Recovery codes —————

async function ensureRecoveryCodes(tx: Tx, holder: Holder): Promise<string[] | null> {
  const left = await tx.selectFrom('recoveryCodes').select('id').where('userId', '=', holder.userId).where('usedAt', 'is', null).limit(1).executeTakeFirst();
  return left ? null : replaceRecoveryCodes(tx, holder);
}

async function replaceRecoveryCodes(tx: Tx, holder: Holder): Promise<string[]> {
  await tx.deleteFrom('recoveryCodes').where('userId', '=', holder.userId).execute();
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.insertInto('recoveryCodes').values(codes.map((code) => ({ syndicateId: holder.syndicateId, userId: holder.userId, codeHash: sha256(normaliseRecoveryCode(code)) }))).execute();
  return codes;
}

/** New recovery codes (the old ones stop working), shown once. Needs a second factor in place. */
export function regenerateRecoveryCodes(db: Db, actor: Actor): Promise<string[]> {
  const holder = holderOfActor(actor);
  return inTenant(db, holder, async (tx) => {
    const status = await statusOf(tx, holder.userId);
    if (status.factors.length === 0) throw new NotFoundError("Vous n'avez pas de second facteur : ajoutez d'abord une application d'authentification ou une clé de sécurité.");
    const codes = await replaceRecoveryCodes(tx, holder);
    await audit(tx, holder, 'auth.recovery_codes_regenerated', { count: codes.length }, actor.ip);
    return codes;
  });
}

/** Removes one of one's own factors; the last one cannot go while the policy requires a second factor. */
export function removeFactor(db: Db, actor: Actor, factorId: string): Promise<void> {
  const holder = holderOfActor(actor);
  return inTenant(db, holder, async (tx) => {
    const status = await statusOf(tx, holder.userId);
    const factor = status.factors.find((f) => f.id === factorId);
    if (!factor) throw new NotFoundError('Ce facteur est introuvable.');
    if (status.required && status.factors.length === 1) {
      throw new ValidationError('factor', 'Votre rôle exige un second facteur : ajoutez-en un autre avant de retirer celui-ci.');
    }
    await tx.deleteFrom('userFactors').where('id', '=', factorId).where('userId', '=', holder.userId).execute();
    if (status.factors.length === 1) await tx.deleteFrom('recoveryCodes').where('userId', '=', holder.userId).execute();
    await audit(tx, holder, 'auth.factor_removed', { kind: factor.kind, label: factor.label }, actor.ip);
  });
}

// ————— WebAuthn (security keys, passkeys) —————

async function storeChallenge(tx: Tx, sessionId: string, challenge: string) {
  await tx.updateTable('sessions').set({ webauthnChallenge: challenge, webauthnChallengeExpiresAt: new Date(Date.now() + CHALLENGE_TTL_MS) })
    .where('id', '=', sessionId).execute();
}

/** Takes the session's challenge (once: a second response with it finds none). */
async function takeChallenge(tx: Tx, sessionId: string): Promise<string> {
  const row = await tx.selectFrom('sessions').select(['webauthnChallenge', 'webauthnChallengeExpiresAt']).where('id', '=', sessionId).forUpdate().executeTakeFirst();
  await tx.updateTable('sessions').set({ webauthnChallenge: null, webauthnChallengeExpiresAt: null }).where('id', '=', sessionId).execute();
  if (!row?.webauthnChallenge || !row.webauthnChallengeExpiresAt || row.webauthnChallengeExpiresAt.getTime() <= Date.now()) {
    throw new SecondFactorRefusedError('La demande de la clé a expiré : recommencez.');
  }
  return row.webauthnChallenge;
}

/** Options for `navigator.credentials.create()`: a new key or passkey for the person. */
export async function webAuthnRegistrationOptions(db: Db, who: Actor | LiveSession, rp: WebAuthnRelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const holder = 'ability' in who ? holderOfActor(who) : who;
  return inTenant(db, holder, async (tx) => {
    const user = await tx.selectFrom('users').select(['email', 'displayName']).where('id', '=', holder.userId).executeTakeFirstOrThrow();
    const existing = await tx.selectFrom('userFactors').select(['webauthnCredentialId', 'webauthnTransports'])
      .where('userId', '=', holder.userId).where('kind', '=', 'webauthn').execute();
    const options = await generateRegistrationOptions({
      rpName: rp.rpName, rpID: rp.rpId, userName: user.email, userDisplayName: user.displayName,
      userID: new TextEncoder().encode(holder.userId), attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.webauthnCredentialId!, transports: (c.webauthnTransports ?? undefined) as AuthenticatorTransport[] | undefined })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await storeChallenge(tx, holder.sessionId, options.challenge);
    return options;
  });
}

export async function registerWebAuthn(db: Db, who: Actor | LiveSession, rp: WebAuthnRelyingParty, response: RegistrationResponseJSON, label: string, ip: string | null): Promise<EnrolmentResult> {
  const holder = 'ability' in who ? holderOfActor(who) : who;
  return inTenant(db, holder, async (tx) => {
    const expectedChallenge = await takeChallenge(tx, holder.sessionId);
    const verification = await verifyRegistrationResponse({ response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: false })
      .catch((error: unknown) => { throw new SecondFactorRefusedError(`La clé n'a pas pu être enregistrée : ${(error as Error).message}`); });
    if (!verification.verified || !verification.registrationInfo) throw new SecondFactorRefusedError("La clé n'a pas pu être enregistrée.");
    const { credential } = verification.registrationInfo;
    await tx.insertInto('userFactors').values({
      syndicateId: holder.syndicateId, userId: holder.userId, kind: 'webauthn', label,
      webauthnCredentialId: credential.id, webauthnPublicKey: Buffer.from(credential.publicKey), webauthnCounter: credential.counter,
      webauthnTransports: credential.transports ?? null, confirmedAt: new Date(), lastUsedAt: new Date(),
    }).execute();
    const recoveryCodes = await ensureRecoveryCodes(tx, holder);
    await audit(tx, holder, 'auth.factor_added', { kind: 'webauthn', label }, ip);
    if (holder.secondFactor !== 'done') await openSession(tx, holder, ['hwk'], ip);
    return { recoveryCodes };
  });
}

/** Options for `navigator.credentials.get()` at login: the person's registered keys. */
export async function webAuthnAuthenticationOptions(db: Db, session: LiveSession, rp: WebAuthnRelyingParty): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return inTenant(db, session, async (tx) => {
    const keys = await tx.selectFrom('userFactors').select(['webauthnCredentialId', 'webauthnTransports'])
      .where('userId', '=', session.userId).where('kind', '=', 'webauthn').execute();
    if (keys.length === 0) throw new NotFoundError("Aucune clé de sécurité n'est enregistrée pour ce compte.");
    const options = await generateAuthenticationOptions({
      rpID: rp.rpId, userVerification: 'preferred',
      allowCredentials: keys.map((k) => ({ id: k.webauthnCredentialId!, transports: (k.webauthnTransports ?? undefined) as AuthenticatorTransport[] | undefined })),
    });
    await storeChallenge(tx, session.sessionId, options.challenge);
    return options;
  });
}

/** Checks a key's signature at login; the signature counter must move forward (a cloned key shows). */
export async function verifyWebAuthn(db: Db, session: LiveSession, rp: WebAuthnRelyingParty, response: AuthenticationResponseJSON, ip: string | null): Promise<void> {
  if (session.secondFactor !== 'verify') throw new SecondFactorRefusedError("Cette session n'attend pas de second facteur.");
  const ok = await inTenant(db, session, async (tx) => {
    const key = await tx.selectFrom('userFactors').selectAll().where('userId', '=', session.userId).where('kind', '=', 'webauthn')
      .where('webauthnCredentialId', '=', response.id).forUpdate().executeTakeFirst();
    if (!key) return false;
    const expectedChallenge = await takeChallenge(tx, session.sessionId);
    const verification = await verifyAuthenticationResponse({
      response, expectedChallenge, expectedOrigin: rp.origin, expectedRPID: rp.rpId, requireUserVerification: false,
      credential: {
        id: key.webauthnCredentialId!, publicKey: new Uint8Array(key.webauthnPublicKey!), counter: Number(key.webauthnCounter ?? 0),
        transports: (key.webauthnTransports ?? undefined) as AuthenticatorTransport[] | undefined,
      },
    }).catch(() => null);
    if (!verification?.verified) return false;
    await tx.updateTable('userFactors').set({ webauthnCounter: verification.authenticationInfo.newCounter, lastUsedAt: new Date() }).where('id', '=', key.id).execute();
    await openSession(tx, session, ['hwk'], ip);
    return true;
  });
  if (!ok) await refuse(db, session, ip);
}
export type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
