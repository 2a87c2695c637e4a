/** The audit trail: one hash chain per tenant, appended by the application role, verifiable, tamper-evident. */
import { appendAudit, verifyAuditChain, type AuditInput } from '@mutualis/core';
import { withTenant, type Db } from '@mutualis/db';
import { afterAll, describe, expect, it } from 'vitest';
import { appDb, closeDbs, newAppDb, ownerDb } from '../support/db.ts';
import { createTenant, type TestTenant } from '../support/factories.ts';

afterAll(closeDbs);

function event(t: TestTenant, i: number, memberId: string | null = null): AuditInput {
  return {
    syndicateId: t.syndicateId, memberId, actorUserId: t.users.syndicate_admin.id, action: 'test.event', subjectType: 'Member',
    subjectId: t.members[0]!.id, ip: t.ip,
    // Keys out of order, nested values and a Date: the hash must not depend on how jsonb stores them.
    before: i === 1 ? null : { z: i - 1, a: { y: [1, 'deux', null], b: true } },
    after: { z: i, a: { y: [1, 'deux', null], b: false }, at: new Date(Date.UTC(2026, 0, i)) },
  };
}

async function append(db: Db, t: TestTenant, input: AuditInput, memberIds: string[] | null = null): Promise<void> {
  await withTenant(db, { syndicateId: t.syndicateId, memberIds }, (tx) => appendAudit(tx, input));
}

const verify = (t: TestTenant) => withTenant(appDb(), { syndicateId: t.syndicateId, memberIds: null }, (tx) => verifyAuditChain(tx, t.syndicateId));
const chain = (t: TestTenant) => ownerDb().selectFrom('auditEvents').select(['seq', 'prevHash', 'hash']).where('syndicateId', '=', t.syndicateId).orderBy('seq').execute();
const seqs = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1));

async function tenantWithEvents(n: number): Promise<TestTenant> {
  const t = await createTenant({ communes: 1 });
  for (let i = 1; i <= n; i++) await append(appDb(), t, event(t, i));
  return t;
}

describe('the audit chain', () => {
  it('numbers the events of a tenant 1..n, each linked to the hash of the previous one', async () => {
    const t = await tenantWithEvents(5);
    const rows = await chain(t);
    expect(rows.map((r) => r.seq)).toEqual(seqs(5));
    expect(rows[0]!.prevHash.equals(Buffer.alloc(32))).toBe(true);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash.equals(rows[i - 1]!.hash), `prev_hash of seq ${i + 1}`).toBe(true);
    expect(new Set(rows.map((r) => r.hash.toString('hex'))).size).toBe(5);
    const head = await ownerDb().selectFrom('auditChainHeads').selectAll().where('syndicateId', '=', t.syndicateId).executeTakeFirstOrThrow();
    expect(head.seq).toBe('5');
    expect(head.hash.equals(rows[4]!.hash)).toBe(true);
    expect(await verify(t)).toEqual({ ok: true, checked: 5, firstBrokenSeq: null });
  });

  it('keeps one chain per tenant: another tenant starts at 1 and does not disturb the first', async () => {
    const [a, b] = await Promise.all([tenantWithEvents(3), tenantWithEvents(2)]);
    await append(appDb(), a, event(a, 4));
    expect((await chain(a)).map((r) => r.seq)).toEqual(seqs(4));
    expect((await chain(b)).map((r) => r.seq)).toEqual(seqs(2));
    expect(await verify(a)).toEqual({ ok: true, checked: 4, firstBrokenSeq: null });
    expect(await verify(b)).toEqual({ ok: true, checked: 2, firstBrokenSeq: null });
  });

  it('reports the first event whose content was changed behind the application', async () => {
    const t = await tenantWithEvents(5);
    await ownerDb().updateTable('auditEvents').set({ after: JSON.stringify({ z: 3, forged: true }) })
      .where('syndicateId', '=', t.syndicateId).where('seq', '=', '3').execute();
    expect(await verify(t)).toEqual({ ok: false, checked: 2, firstBrokenSeq: '3' });
  });

  it('reports a removed event at the next one, whose link no longer matches', async () => {
    const t = await tenantWithEvents(5);
    await ownerDb().deleteFrom('auditEvents').where('syndicateId', '=', t.syndicateId).where('seq', '=', '3').execute();
    expect(await verify(t)).toEqual({ ok: false, checked: 2, firstBrokenSeq: '4' });
  });

  it('reports an event whose hash was recomputed to match forged content, by the broken link after it', async () => {
    const t = await tenantWithEvents(4);
    const [second, third] = [(await chain(t))[1]!, (await chain(t))[2]!];
    // Copy event 2's hash onto event 3 (an attacker without the content cannot do better).
    await ownerDb().updateTable('auditEvents').set({ hash: second.hash }).where('syndicateId', '=', t.syndicateId).where('seq', '=', '3').execute();
    expect(third.hash.equals(second.hash)).toBe(false);
    expect(await verify(t)).toEqual({ ok: false, checked: 2, firstBrokenSeq: '3' });
  });

  it('stays gap-free and verifiable when 20 requests of one tenant append at the same time', async () => {
    const t = await createTenant({ communes: 1 });
    const pool = newAppDb(20);
    const member = t.members[0]!.id;
    // Half act for the whole syndicate, half as a commune user, as real requests would.
    await Promise.all(Array.from({ length: 20 }, (_, i) =>
      append(pool, t, event(t, i + 1, i % 2 ? member : null), i % 2 ? [member] : null)));
    const rows = await chain(t);
    expect(rows.map((r) => r.seq)).toEqual(seqs(20));
    expect(await verify(t)).toEqual({ ok: true, checked: 20, firstBrokenSeq: null });
  });
});
