/** The cost model's budget lines (costs.budget.*): finance sets them, the board reads them, communes do not. */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDbs, ownerDb } from '../../support/db.ts';
import { createTenant, type TestTenant } from '../../support/factories.ts';

let t: TestTenant;
beforeAll(async () => { t = await createTenant({ communes: 2 }); });
afterAll(closeDbs);

const callerOf = async (role: Parameters<TestTenant['openSession']>[0]) => t.caller((await t.openSession(role)).actor).caller;

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  try { await promise; } catch (error) { if (error instanceof TRPCError) return error; throw error; }
  throw new Error('expected a refusal');
}

describe('costs.budget', () => {
  it('finance adds, changes and removes lines of a year, with exact cents and a mixed key; each change is audited', async () => {
    const finance = await callerOf('syndicate_finance');
    const line = await finance.costs.budget.setLine({
      year: 2027, label: 'Infrastructure mutualisée', amountCents: 10_000_001,
      key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 7000 }, { key: { kind: 'agents' }, basisPoints: 3000 }] },
    });
    expect(line).toMatchObject({ year: 2027, label: 'Infrastructure mutualisée', amountCents: 10_000_001 });
    const sso = await finance.costs.budget.setLine({ year: 2027, label: 'Identité (SSO)', amountCents: 1_000_000, key: { kind: 'usage', offering: 'sso', metric: 'users' } });
    expect((await finance.costs.budget.lines({ year: 2027 })).map((l) => l.label)).toEqual(['Identité (SSO)', 'Infrastructure mutualisée']);
    expect(await finance.costs.budget.lines({ year: 2026 })).toEqual([]);

    const changed = await finance.costs.budget.setLine({ id: sso.id, year: 2027, label: 'Identité (SSO)', amountCents: 1_100_000, key: { kind: 'equal' } });
    expect(changed).toMatchObject({ id: sso.id, amountCents: 1_100_000, key: { kind: 'equal' } });
    await finance.costs.budget.removeLine({ id: line.id });
    expect((await finance.costs.budget.lines({ year: 2027 })).map((l) => l.id)).toEqual([sso.id]);
    const actions = await ownerDb().selectFrom('auditEvents').select('action').where('syndicateId', '=', t.syndicateId).where('subjectType', '=', 'CostModel').orderBy('seq').execute();
    expect(actions.map((a) => a.action)).toEqual(['costs.budget_line_added', 'costs.budget_line_added', 'costs.budget_line_changed', 'costs.budget_line_removed']);
    // Amounts are exact integers in the database (bigint), never floats.
    const row = await ownerDb().selectFrom('budgetLines').select('amountCents').where('id', '=', sso.id).executeTakeFirstOrThrow();
    expect(row.amountCents).toBe('1100000');
  });

  it('refuses bad input naming the field: cents not whole, a mix not adding up to 100 %, a label taken that year', async () => {
    const finance = await callerOf('syndicate_finance');
    expect((await refusal(finance.costs.budget.setLine({ year: 2028, label: 'A', amountCents: 10.5, key: { kind: 'equal' } }))).message).toMatch(/amountCents/);
    const mix = await refusal(finance.costs.budget.setLine({
      year: 2028, label: 'B', amountCents: 100, key: { kind: 'mix', parts: [{ key: { kind: 'population' }, basisPoints: 5000 }, { key: { kind: 'agents' }, basisPoints: 4000 }] },
    }));
    expect(mix.message).toMatch(/100 %/);
    await finance.costs.budget.setLine({ year: 2028, label: 'Sauvegardes', amountCents: 100, key: { kind: 'equal' } });
    const taken = await refusal(finance.costs.budget.setLine({ year: 2028, label: 'Sauvegardes', amountCents: 200, key: { kind: 'equal' } }));
    expect(taken.code).toBe('BAD_REQUEST');
    expect(taken.message).toContain('existe déjà');
  });

  it('the board reads and changes nothing; commune roles see no budget; another syndicate sees none of it', async () => {
    const finance = await callerOf('syndicate_finance');
    await finance.costs.budget.setLine({ year: 2029, label: 'Cybersécurité', amountCents: 500_000, key: { kind: 'population' } });
    const board = await callerOf('board_member');
    expect((await board.costs.budget.lines({ year: 2029 })).map((l) => l.label)).toEqual(['Cybersécurité']);
    expect((await refusal(board.costs.budget.setLine({ year: 2029, label: 'X', amountCents: 1, key: { kind: 'equal' } }))).code).toBe('FORBIDDEN');
    for (const role of ['commune_dsi', 'commune_elected', 'commune_agent'] as const) {
      expect((await refusal((await callerOf(role)).costs.budget.lines({ year: 2029 }))).code).toBe('FORBIDDEN');
    }
    const other = await createTenant({ communes: 1 });
    const otherFinance = other.caller((await other.openSession('syndicate_finance')).actor).caller;
    expect(await otherFinance.costs.budget.lines({ year: 2029 })).toEqual([]);
  });
});
