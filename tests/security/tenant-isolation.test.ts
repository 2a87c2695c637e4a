/**
 * The tenant-isolation matrix: EVERY procedure of the API (read from the router, so a new one is
 * covered the day it is added), called by each commune role with the ids of another commune of the
 * same syndicate, then of another syndicate. Each call must be refused (FORBIDDEN, NOT_FOUND,
 * UNAUTHORIZED, BAD_REQUEST) or return nothing of those other tenants: no id, name, SIREN or e-mail.
 */
import { TRPCError, type AnyTRPCProcedure } from '@trpc/server';
import { appRouter } from '@mutualis/api';
import type { Role } from '@mutualis/contracts';
import type { Actor } from '@mutualis/core';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs } from '../support/db.ts';
import { createTenant, type TestCaller, type TestMember, type TestTenant, type TestUser } from '../support/factories.ts';
import { inputVariants, UnsupportedSchema, type Probe } from '../support/input-generator.ts';

const ROLES: Role[] = ['commune_dsi', 'commune_agent', 'commune_elected', 'external_provider'];
const REFUSALS = new Set(['FORBIDDEN', 'NOT_FOUND', 'UNAUTHORIZED', 'BAD_REQUEST']);
// At run time `procedures` is flat, keyed by dotted path ('members.list'); its declared type is nested.
const PROCEDURES = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>);
const PATHS = PROCEDURES.map(([path]) => path);

let home: TestTenant; // the caller's syndicate; commune users belong to members[0]
let away: TestTenant; // another syndicate
let siblingDsi: TestUser;

beforeAll(async () => {
  [home, away] = await Promise.all([createTenant({ communes: 3 }), createTenant({ communes: 2 })]);
  siblingDsi = await home.addUser('commune_dsi', home.members[1]!.id);
});
afterAll(closeDbs);

interface Pass { name: string; probe: Probe }

/** The member's id, name, codes, and the business id of its onboarding workflow (`onboard:<memberId>`). */
function probeOf(member: TestMember, email: string): Probe {
  return { uuid: member.id, text: member.name, patterned: [member.inseeCode, member.siren, `onboard:${member.id}`], email };
}

/** Everything of the other communes and the other syndicate that must never reach the caller. */
function secrets() {
  const members = [...home.members.slice(1), ...away.members];
  const ids = [...members.map((m) => m.id), away.syndicateId, siblingDsi.id, ...Object.values(away.users).map((u) => u.id)];
  const texts = [...members.flatMap((m) => [m.name, m.siren]), away.name, siblingDsi.email, ...Object.values(away.users).map((u) => u.email)];
  return { ids, texts };
}

function passes(): Pass[] {
  return [
    { name: 'another commune of the syndicate', probe: probeOf(home.members[1]!, siblingDsi.email) },
    { name: 'another syndicate', probe: probeOf(away.members[0]!, away.users.commune_dsi.email) },
  ];
}

function procedureAt(caller: TestCaller, path: string): (input: unknown) => Promise<unknown> {
  return path.split('.').reduce((node: any, key) => node[key], caller); // eslint-disable-line @typescript-eslint/no-explicit-any
}

const serialise = (value: unknown) => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'undefined';

/** Calls one procedure with one input; returns what is wrong with the outcome, if anything. */
async function check(path: string, actor: Actor, token: string, input: unknown): Promise<{ problem: string | null; result?: unknown; code?: string }> {
  const { caller } = home.caller(actor, token);
  let result: unknown;
  try {
    result = await procedureAt(caller, path)(input);
  } catch (error) {
    if (!(error instanceof TRPCError)) return { problem: `threw ${String(error)}` };
    if (!REFUSALS.has(error.code)) return { problem: `failed with ${error.code}: ${error.message}`, code: error.code };
    const leaked = leaksIn(error.message, input);
    return { problem: leaked.length ? `its ${error.code} message reveals ${leaked.join(', ')}` : null, code: error.code };
  }
  const leaked = leaksIn(serialise(result), input);
  return { problem: leaked.length ? `returned ${leaked.join(', ')}` : null, result };
}

/** Secrets found in `text`; a name, SIREN or e-mail the caller itself sent may be echoed, an id never. */
function leaksIn(text: string, input: unknown): string[] {
  const { ids, texts } = secrets();
  const sent = serialise(input);
  return [...ids, ...texts.filter((s) => !sent.includes(s))].filter((s) => text.includes(s));
}

/** A fresh session per call: auth.logout and auth.login end the session they run in. */
const sessionFor = (role: Role) => home.openSession(role);

describe.each(ROLES)('as %s', (role) => {
  it.each(PATHS)('%s reveals nothing of other communes or syndicates', async (path) => {
    const procedure = PROCEDURES.find(([p]) => p === path)![1];
    const def = procedure._def as { type: string; inputs: unknown[] };
    expect(def.type, `${path} is a ${def.type}; the matrix only knows queries and mutations`).toMatch(/^(query|mutation)$/);
    const problems: string[] = [];
    for (const pass of passes()) {
      let variants: unknown[];
      try {
        variants = inputVariants(def.inputs, pass.probe);
      } catch (error) {
        if (error instanceof UnsupportedSchema) throw new Error(`Cannot build an input for ${path}: ${error.message}. Teach tests/support/input-generator.ts this schema.`);
        throw error;
      }
      for (const input of variants) {
        const { token, actor } = await sessionFor(role);
        const { problem } = await check(path, actor, token, input);
        if (problem) problems.push(`${path}(${serialise(input)}) with the ids of ${pass.name}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(PATHS)('%s accepts the generated input with the caller\'s own ids (the matrix is not vacuous)', async (path) => {
    const procedure = PROCEDURES.find(([p]) => p === path)![1];
    const own = home.members[0]!;
    const [minimal] = inputVariants((procedure._def as { inputs: unknown[] }).inputs, probeOf(own, home.users[role].email));
    const { token, actor } = await sessionFor(role);
    const { problem, code } = await check(path, actor, token, minimal);
    expect(problem, `${path}(${serialise(minimal)})`).toBeNull();
    expect(code, `${path} refuses the generated input as malformed: the generator must build a meaningful one`).not.toBe('BAD_REQUEST');
  });
});

it.each(['commune_dsi', 'commune_agent', 'commune_elected'] as const)('a %s sees its own commune through the API, so the leak detector would see another one', async (role) => {
  const { token, actor } = await sessionFor(role);
  const own = home.members[0]!;
  const { result } = await check('members.get', actor, token, { id: own.id });
  expect(serialise(result)).toContain(own.siren);
  expect(PATHS).toContain('members.get');
});

describe('the input generator', () => {
  const probe: Probe = { uuid: '00000000-0000-4000-8000-000000000001', text: 'Nom', patterned: ['69259'], email: 'a@b.example' };

  it('refuses, rather than skips, a schema it cannot express', () => {
    expect(() => inputVariants([z.object({ at: z.date() })], probe)).toThrow(UnsupportedSchema);
    expect(() => inputVariants([z.object({ code: z.string().regex(/^Z{3}$/) })], probe)).toThrow(UnsupportedSchema);
    expect(() => inputVariants([z.object({ n: z.number().refine((v) => v === 7) })], probe)).toThrow(UnsupportedSchema);
  });

  it('puts the probe id in every uuid field, the probe text in free text, and every enum value in turn', () => {
    const variants = inputVariants([z.object({ id: z.uuid(), q: z.string().optional(), kind: z.enum(['a', 'b']).optional(), code: z.string().regex(/^\d{5}$/) })], probe);
    expect(variants).toEqual([
      { id: probe.uuid, code: '69259' },
      { id: probe.uuid, code: '69259', q: 'Nom' },
      { id: probe.uuid, code: '69259', kind: 'a' },
      { id: probe.uuid, code: '69259', kind: 'b' },
      { id: probe.uuid, code: '69259', q: 'Nom', kind: 'a' },
    ]);
  });
});
