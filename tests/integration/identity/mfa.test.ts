/** Second factors through the real services and the real database: TOTP replay, enrolment enforced by policy, recovery codes. */
import { generate, generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate, confirmTotpEnrolment, findLiveSession, MAX_SECOND_FACTOR_FAILURES, SecondFactorRefusedError, startTotpEnrolment, verifySecondFactor,
} from '@mutualis/core';
import { appDb, closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, TEST_SETTINGS, type TestTenant, type TestUser } from '../../support/factories.ts';

let t: TestTenant;
beforeAll(async () => { t = await createTenant({ communes: 2 }); });
afterAll(closeDbs);

const key = () => TEST_SETTINGS.secretKey!;
const live = async (token: string) => (await findLiveSession(appDb(), token))!;
const codeAt = (secret: string, step: number) => generateSync({ secret, epoch: step * 30 + 15 });
const currentStep = () => Math.floor(Date.now() / 30_000);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try { await promise; } catch (error) { return error; }
  throw new Error('expected a refusal');
}

/** A DSI of its own (a fresh TOTP factor, so its time steps are not shared with other tests). */
const freshDsi = () => t.addUser('commune_dsi', t.members[0]!.id);

describe('TOTP at login', () => {
  it('keeps a DSI\'s session closed after the password alone, and opens it with the code, recording amr', async () => {
    const dsi = await freshDsi();
    const first = await t.passwordLogin(dsi);
    expect(first.secondFactor).toBe('verify');
    expect(await authenticate(appDb(), first.token, t.ip)).toBeNull();
    await verifySecondFactor(appDb(), await live(first.token), key(), { kind: 'totp', code: codeAt(dsi.totpSecret!, currentStep()) }, t.ip);
    const actor = await authenticate(appDb(), first.token, t.ip);
    expect(actor?.userId).toBe(dsi.id);
    expect(actor?.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('refuses a code replayed inside its window, even on a new login, and accepts the next step\'s code', async () => {
    const dsi = await freshDsi();
    const step = currentStep();
    const code = codeAt(dsi.totpSecret!, step);
    const a = await t.passwordLogin(dsi);
    await verifySecondFactor(appDb(), await live(a.token), key(), { kind: 'totp', code }, t.ip);

    const b = await t.passwordLogin(dsi);
    const replay = await rejection(verifySecondFactor(appDb(), await live(b.token), key(), { kind: 'totp', code }, t.ip));
    expect(replay).toBeInstanceOf(SecondFactorRefusedError);
    expect((replay as Error).message).toMatch(/déjà utilisé/);
    expect(await authenticate(appDb(), b.token, t.ip)).toBeNull();
    // An earlier step than the one used is a replay too.
    await expect(verifySecondFactor(appDb(), await live(b.token), key(), { kind: 'totp', code: codeAt(dsi.totpSecret!, step - 1) }, t.ip))
      .rejects.toBeInstanceOf(SecondFactorRefusedError);
    // The next step (clock drift allowed: one step) is a new code.
    await verifySecondFactor(appDb(), await live(b.token), key(), { kind: 'totp', code: codeAt(dsi.totpSecret!, step + 1) }, t.ip);
    expect(await authenticate(appDb(), b.token, t.ip)).not.toBeNull();
  });

  it('accepts the same code only once when two logins race with it', async () => {
    const dsi = await freshDsi();
    const code = codeAt(dsi.totpSecret!, currentStep());
    const [a, b] = await Promise.all([t.passwordLogin(dsi), t.passwordLogin(dsi)]);
    const results = await Promise.allSettled([a, b].map(async (r) => verifySecondFactor(appDb(), await live(r.token), key(), { kind: 'totp', code }, t.ip)));
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('refuses a code two steps away, and ends the pending session after five wrong codes', async () => {
    const dsi = await freshDsi();
    const login = await t.passwordLogin(dsi);
    await expect(verifySecondFactor(appDb(), await live(login.token), key(), { kind: 'totp', code: codeAt(dsi.totpSecret!, currentStep() + 3) }, t.ip))
      .rejects.toBeInstanceOf(SecondFactorRefusedError);
    for (let i = 2; i < MAX_SECOND_FACTOR_FAILURES; i++) {
      await expect(verifySecondFactor(appDb(), await live(login.token), key(), { kind: 'totp', code: '000000' }, t.ip)).rejects.toThrow(/Code incorrect/);
    }
    const last = await rejection(verifySecondFactor(appDb(), await live(login.token), key(), { kind: 'totp', code: '000001' }, t.ip));
    expect((last as Error).message).toMatch(/reconnectez-vous/);
    expect(await findLiveSession(appDb(), login.token)).toBeNull();
    // Even the right code cannot revive it.
    const row = await ownerDb().selectFrom('sessions').select(['endedAt', 'secondFactorFailures']).where('id', '=', login.actor.sessionId).executeTakeFirstOrThrow();
    expect(row.endedAt).not.toBeNull();
    expect(row.secondFactorFailures).toBe(MAX_SECOND_FACTOR_FAILURES);
  });
});

describe('enrolment enforced by policy', () => {
  async function withoutFactor(user: TestUser) {
    await ownerDb().deleteFrom('userFactors').where('userId', '=', user.id).execute();
    return user;
  }

  it('walks a DSI with no second factor through enrolment; the session opens only with the first code, and 10 recovery codes are given once', async () => {
    const dsi = await withoutFactor(await freshDsi());
    const login = await t.passwordLogin(dsi);
    expect(login.secondFactor).toBe('enrol');
    expect(await authenticate(appDb(), login.token, t.ip)).toBeNull();
    // A verify attempt is not an enrolment.
    await expect(verifySecondFactor(appDb(), await live(login.token), key(), { kind: 'totp', code: '123456' }, t.ip)).rejects.toThrow(/n'attend pas/);

    const enrolment = await startTotpEnrolment(appDb(), await live(login.token), key());
    expect(enrolment.uri).toMatch(/^otpauth:\/\/totp\/Mutualis:.*secret=/);
    // The stored secret is encrypted, not the base32 text.
    const stored = await ownerDb().selectFrom('userFactors').select(['totpSecretCiphertext', 'confirmedAt']).where('id', '=', enrolment.factorId).executeTakeFirstOrThrow();
    expect(stored.confirmedAt).toBeNull();
    expect(stored.totpSecretCiphertext!.toString('latin1')).not.toContain(enrolment.secret);
    await expect(confirmTotpEnrolment(appDb(), await live(login.token), key(), enrolment.factorId, '000000', t.ip)).rejects.toThrow(/ne correspond pas/);
    expect(await authenticate(appDb(), login.token, t.ip)).toBeNull();

    const result = await confirmTotpEnrolment(appDb(), await live(login.token), key(), enrolment.factorId, await generate({ secret: enrolment.secret }), t.ip);
    expect(result.recoveryCodes).toHaveLength(10);
    expect(new Set(result.recoveryCodes).size).toBe(10);
    expect((await authenticate(appDb(), login.token, t.ip))?.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    // Next login: verification, no longer enrolment.
    expect((await t.passwordLogin(dsi)).secondFactor).toBe('verify');

    // A recovery code works once, whatever its case and dashes.
    const code = result.recoveryCodes![0]!;
    const a = await t.passwordLogin(dsi);
    await verifySecondFactor(appDb(), await live(a.token), key(), { kind: 'recovery', code: code.toUpperCase().replace('-', ' ') }, t.ip);
    expect(await authenticate(appDb(), a.token, t.ip)).not.toBeNull();
    const b = await t.passwordLogin(dsi);
    await expect(verifySecondFactor(appDb(), await live(b.token), key(), { kind: 'recovery', code }, t.ip)).rejects.toBeInstanceOf(SecondFactorRefusedError);
  });

  it('applies "MFA for everyone" to the agents and elected officials of that commune only, from their next login', async () => {
    const agentHere = await t.addUser('commune_agent', t.members[0]!.id);
    const agentThere = await t.addUser('commune_agent', t.members[1]!.id);
    expect((await t.passwordLogin(agentHere)).secondFactor).toBe('done');

    const dsi = await t.actorFor('commune_dsi');
    const { caller } = t.caller(dsi);
    await caller.settings.setMfaPolicy({ memberId: t.members[0]!.id, policy: 'everyone' });
    try {
      expect((await t.passwordLogin(agentHere)).secondFactor).toBe('enrol');
      expect((await t.passwordLogin(agentThere)).secondFactor).toBe('done');
      expect((await caller.settings.get({ memberId: t.members[0]!.id })).mfaPolicy).toBe('everyone');
      // The DSI of commune 1 cannot set commune 2's policy.
      await expect(caller.settings.setMfaPolicy({ memberId: t.members[1]!.id, policy: 'everyone' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // Bad input names the field.
      await expect(caller.settings.setMfaPolicy({ memberId: t.members[0]!.id, policy: 'nobody' as never })).rejects.toThrow(/policy/);
    } finally {
      await caller.settings.setMfaPolicy({ memberId: t.members[0]!.id, policy: 'dsi' });
    }
    expect((await t.passwordLogin(agentHere)).secondFactor).toBe('done');
  });

  it('does not let a person required to use MFA remove their last factor', async () => {
    const dsi = await freshDsi();
    const actor = (await t.login(dsi)).actor;
    const { caller } = t.caller(actor);
    const status = await caller.mfa.status();
    expect(status.required).toBe(true);
    expect(status.factors).toHaveLength(1);
    await expect(caller.mfa.removeFactor({ factorId: status.factors[0]!.id })).rejects.toThrow(/ajoutez-en un autre/);
  });

  it('the factories\' login helper spends successive steps, so repeated logins of one user keep working', async () => {
    const dsi = await freshDsi();
    for (let i = 0; i < 3; i++) expect((await t.login(dsi)).secondFactor).toBe('done');
  });
});
