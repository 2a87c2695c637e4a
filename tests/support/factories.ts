import { createHash, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createCaller, type SessionCookie } from '@mutualis/api';
import { ROLES, isSyndicateRole, isValidSiren, type Role } from '@mutualis/contracts';
import { generate } from 'otplib';
import {
  authenticate, encryptSecret, findLiveSession, hashPassword, login, memberSearchText, MFA_ROLES, verifySecondFactor, type Actor, type LoginResult,
} from '@mutualis/core';
import type { MemberStatus } from '@mutualis/contracts';
import { temporalClient } from '@mutualis/temporal';
import { seedCatalog } from '@mutualis/core/seed';
import { appDb, ownerDb } from './db.ts';
import { testEnv } from './env.ts';

export interface TestMember { id: string; name: string; inseeCode: string; siren: string; population: number; status: MemberStatus }
/** `totpSecret`: the authenticator app of users whose role always needs a second factor (admins, DSIs). */
export interface TestUser { id: string; email: string; role: Role; memberId: string | null; totpSecret?: string }

export interface CommuneSpec { name?: string; population?: number; status?: MemberStatus }
export interface TenantOptions {
  /** How many communes, or their names/populations; default 2. */
  communes?: number | CommuneSpec[];
  /** Load the demo catalog (offerings, plans, prices) into the syndicate. */
  catalog?: boolean;
}

/** A session cookie that records what the procedures did with it. */
export interface RecordingCookie extends SessionCookie {
  token: string | undefined;
  sets: Array<{ token: string; expiresAt: Date }>;
  clears: number;
}

export type TestCaller = ReturnType<typeof createCaller>;

export interface TestTenant {
  syndicateId: string;
  slug: string;
  name: string;
  /** Random tag in every name and e-mail of this tenant, so parallel test files never collide. */
  tag: string;
  password: string;
  /** The client IP every request of this tenant comes from (distinct per tenant: throttling counts per IP). */
  ip: string;
  members: TestMember[];
  /** With `catalog`: offering id and plan ids by offering slug (e.g. `fichiers`). */
  offerings: Record<string, { id: string; plans: Record<string, string> }>;
  /** One user per role; commune roles belong to members[0]; the external provider has no membership. */
  users: Record<Role, TestUser>;
  addUser(role: Role, memberId: string | null): Promise<TestUser>;
  /** A real login (password checked with argon2), as the web app does it; the second factor too where one is due (a TOTP code). */
  login(who: Role | TestUser): Promise<LoginResult>;
  /** The password step alone: the session may still await its second factor. */
  passwordLogin(who: Role | TestUser): Promise<LoginResult>;
  actorFor(who: Role | TestUser): Promise<Actor>;
  /** A session opened without the password check (fast), then authenticated the normal way. */
  openSession(who: Role | TestUser): Promise<{ token: string; actor: Actor }>;
  caller(actor: Actor | null, token?: string): { caller: TestCaller; cookie: RecordingCookie };
  /** Opens a member's cost share (the days it belongs to the syndicate, for the allocation), as onboarding does. */
  openCostShare(memberId: string, startsOn: string, endsOn?: string | null): Promise<void>;
}

export const sha256 = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

export function randomTag(): string {
  return randomBytes(5).toString('hex');
}

/** A SIREN with a valid Luhn check digit, as real ones have. */
export function randomSiren(): string {
  const siren = luhnCompleted();
  if (!isValidSiren(siren)) throw new Error(`randomSiren made an invalid SIREN ${siren}`);
  return siren;
}

function luhnCompleted(): string {
  const digits = Array.from({ length: 8 }, () => randomInt(10));
  const sum = digits.reduce((acc, d, i) => {
    // From the right, with the check digit in position 0, every second digit (positions 1, 3…) is doubled.
    const doubled = (8 - i) % 2 === 1 ? d * 2 : d;
    return acc + (doubled > 9 ? doubled - 9 : doubled);
  }, 0);
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

export function recordingCookie(initial?: string): RecordingCookie {
  const cookie: RecordingCookie = {
    token: initial, sets: [], clears: 0,
    get: () => cookie.token,
    set(token, expiresAt) { cookie.sets.push({ token, expiresAt }); cookie.token = token; },
    clear() { cookie.clears++; cookie.token = undefined; },
  };
  return cookie;
}

/**
 * A syndicate of its own (random slug), with communes (valid SIREN, distinct INSEE codes) and one
 * user per role, written as the schema owner. Never relies on the demo data.
 */
export async function createTenant(options: TenantOptions = {}): Promise<TestTenant> {
  const owner = ownerDb();
  const tag = randomTag();
  const password = `Test-${randomBytes(12).toString('base64url')}`;
  const passwordHash = await hashPassword(password);
  const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  const specs: CommuneSpec[] = typeof options.communes === 'number' || options.communes === undefined
    ? Array.from({ length: options.communes ?? 2 }, () => ({}))
    : options.communes;

  const syndicate = await owner.insertInto('syndicates').values({ slug: `t-${tag}`, name: `Syndicat de test ${tag}` })
    .returning(['id', 'slug', 'name']).executeTakeFirstOrThrow();
  const inseeCodes = new Set<string>();
  while (inseeCodes.size < specs.length) inseeCodes.add(String(randomInt(1000, 99999)).padStart(5, '0'));
  const codes = [...inseeCodes];
  const members: TestMember[] = [];
  for (const [i, spec] of specs.entries()) {
    const values = {
      name: spec.name ?? `Commune-${i + 1}-${tag}`, inseeCode: codes[i]!, siren: randomSiren(),
      population: spec.population ?? 1000 + i, status: spec.status ?? ('active' as const),
    };
    const row = await owner.insertInto('members').values({
      ...values, syndicateId: syndicate.id, kind: 'commune', agentCount: Math.round(values.population / 40), searchText: memberSearchText(values),
    }).returning('id').executeTakeFirstOrThrow();
    members.push({ id: row.id, ...values });
  }

  let userCount = 0;
  const addUser = async (role: Role, memberId: string | null): Promise<TestUser> => {
    const email = `${role.replaceAll('_', '-')}.${++userCount}.${tag}@tests.example`;
    const user = await owner.insertInto('users').values({ syndicateId: syndicate.id, email, displayName: `${role} ${tag}`, passwordHash, status: 'active' })
      .returning('id').executeTakeFirstOrThrow();
    if (role !== 'external_provider') {
      await owner.insertInto('memberships').values({ syndicateId: syndicate.id, userId: user.id, memberId, role }).execute();
    }
    if (!MFA_ROLES.includes(role)) return { id: user.id, email, role, memberId };
    const totpSecret = await enrolTotp(syndicate.id, user.id, email);
    return { id: user.id, email, role, memberId, totpSecret };
  };
  const users = {} as Record<Role, TestUser>;
  for (const role of ROLES) {
    users[role] = await addUser(role, isSyndicateRole(role) || role === 'external_provider' ? null : members[0]?.id ?? null);
  }

  const offerings: TestTenant['offerings'] = {};
  if (options.catalog) {
    await seedCatalog(owner, syndicate.id);
    const plans = await owner.selectFrom('offerings').innerJoin('offeringPlans', 'offeringPlans.offeringId', 'offerings.id')
      .select(['offerings.id', 'offerings.slug', 'offeringPlans.id as planId', 'offeringPlans.code']).where('offerings.syndicateId', '=', syndicate.id).execute();
    for (const p of plans) (offerings[p.slug] ??= { id: p.id, plans: {} }).plans[p.code] = p.planId;
  }

  const meta = { ip, userAgent: `mutualis-tests/${tag}` };
  const userOf = (who: Role | TestUser) => (typeof who === 'string' ? users[who] : who);
  const tenant: TestTenant = {
    syndicateId: syndicate.id, slug: syndicate.slug, name: syndicate.name, tag, password, ip, members, offerings, users, addUser,
    passwordLogin: (who) => login(appDb(), { email: userOf(who).email, password }, meta),
    async login(who) {
      const result = await tenant.passwordLogin(who);
      if (result.secondFactor !== 'verify') return result;
      const session = await findLiveSession(appDb(), result.token);
      await verifySecondFactor(appDb(), session!, TEST_SETTINGS.secretKey!, { kind: 'totp', code: await nextTotpCode(userOf(who).email) }, ip);
      const actor = await authenticate(appDb(), result.token, ip);
      if (!actor) throw new Error(`The second factor of ${userOf(who).email} did not open the session.`);
      return { ...result, actor, secondFactor: 'done' };
    },
    actorFor: async (who) => (await tenant.login(who)).actor,
    async openCostShare(memberId, startsOn, endsOn = null) {
      await owner.insertInto('costShares').values({ syndicateId: syndicate.id, memberId, startsOn, endsOn }).execute();
    },
    async openSession(who) {
      const user = userOf(who);
      const token = randomBytes(32).toString('base64url');
      await owner.insertInto('sessions').values({
        syndicateId: syndicate.id, userId: user.id, tokenHash: sha256(token), ip, userAgent: meta.userAgent,
        expiresAt: new Date(Date.now() + 12 * 3600_000), secondFactor: 'done',
        // As a login would record it: a second factor for the roles that always need one.
        amr: MFA_ROLES.includes(user.role) ? ['pwd', 'otp', 'mfa'] : ['pwd'],
      }).execute();
      const actor = await authenticate(appDb(), token, ip);
      if (!actor) throw new Error(`Could not authenticate the session opened for ${user.email}.`);
      return { token, actor };
    },
    caller(actor, token) {
      const cookie = recordingCookie(token);
      return { caller: createCaller({ db: appDb(), actor, meta, sessionCookie: cookie, temporal: testTemporal, settings: TEST_SETTINGS }), cookie };
    },
  };
  return tenant;
}

const totpSecrets = new Map<string, string>();
const lastTotpStep = new Map<string, number>();

/** An authenticator app already added (confirmed), as a person who enrolled would have it. */
async function enrolTotp(syndicateId: string, userId: string, email: string): Promise<string> {
  const secret = generateTotpSecret();
  const id = randomUUID();
  await ownerDb().insertInto('userFactors').values({
    id, syndicateId, userId, kind: 'totp', label: 'Application de test', confirmedAt: new Date(),
    totpSecretCiphertext: encryptSecret(TEST_SETTINGS.secretKey!, secret, `user_factors:${id}`),
  }).execute();
  totpSecrets.set(email, secret);
  return secret;
}

/** Base32 of 20 random bytes, as authenticator apps expect. */
function generateTotpSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of randomBytes(20)) bits += byte.toString(2).padStart(8, '0');
  return bits.match(/.{5}/g)!.map((b) => alphabet[parseInt(b, 2)]).join('');
}

/**
 * The code a person would type now for this test user. A code is accepted once per time step, so
 * successive logins of the same user use the current step, then the next (the server accepts one
 * step of drift), and wait for time to move when both are spent. The previous step is never used:
 * it could expire between the moment the code is made and the moment a busy server checks it.
 */
export async function nextTotpCode(email: string): Promise<string> {
  const secret = totpSecrets.get(email);
  if (!secret) throw new Error(`${email} has no authenticator app in the tests.`);
  for (;;) {
    const now = Math.floor(Date.now() / 30_000);
    const step = Math.max(now, (lastTotpStep.get(email) ?? -Infinity) + 1);
    if (step <= now + 1) {
      lastTotpStep.set(email, step);
      return generate({ secret, epoch: step * 30 + 15 });
    }
    await new Promise((resolve) => setTimeout(resolve, (step - 1) * 30_000 - Date.now() + 200));
  }
}

/** The API's settings in tests: the stack's secret key, the default grace period, the web server's origin (WebAuthn). */
export const TEST_SETTINGS = { secretKey: process.env.MUTUALIS_SECRET_KEY, subscriptionGraceDays: 30, origin: process.env.WEB_URL ?? 'http://localhost' };

/** The tests' Temporal client (the real server of the test stack), connected on first use. */
export function testTemporal() {
  const env = testEnv();
  return temporalClient({ address: env.temporalAddress, namespace: env.temporalNamespace });
}
