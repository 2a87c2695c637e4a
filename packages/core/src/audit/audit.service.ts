import { createHash } from 'node:crypto';
import { sql, type Tx } from '@mutualis/db';

export interface AuditInput {
  syndicateId: string;
  memberId: string | null;
  actorUserId: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  before?: unknown;
  after?: unknown;
  ip: string | null;
}

const GENESIS: Buffer = Buffer.alloc(32);

/** JSON with object keys sorted at every level, so a hash never depends on key order (jsonb reorders). */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

interface HashedFields extends AuditInput { seq: string; occurredAt: Date }

function eventHash(prevHash: Buffer, e: HashedFields): Buffer {
  const body = canonicalJson({
    syndicateId: e.syndicateId, seq: e.seq, memberId: e.memberId, actorUserId: e.actorUserId, action: e.action,
    subjectType: e.subjectType, subjectId: e.subjectId, before: e.before ?? null, after: e.after ?? null,
    ip: e.ip, occurredAt: e.occurredAt.toISOString(),
  });
  return createHash('sha256').update(prevHash).update(body).digest();
}

/**
 * Appends an audit event in the caller's transaction, chained to the tenant's previous event.
 * The chain head row is locked for the rest of the transaction, so concurrent writers of one
 * tenant serialise and the chain never forks; other tenants are not held up.
 */
export async function appendAudit(tx: Tx, input: AuditInput): Promise<void> {
  await tx.insertInto('auditChainHeads').values({ syndicateId: input.syndicateId, seq: 0, hash: GENESIS })
    .onConflict((oc) => oc.column('syndicateId').doNothing()).execute();
  const head = await tx.selectFrom('auditChainHeads').select(['seq', 'hash'])
    .where('syndicateId', '=', input.syndicateId).forUpdate().executeTakeFirstOrThrow();
  const seq = (BigInt(head.seq) + 1n).toString();
  const occurredAt = new Date();
  const normalised = { ...input, before: normaliseJson(input.before), after: normaliseJson(input.after) };
  const hash = eventHash(head.hash, { ...normalised, seq, occurredAt });
  await tx.insertInto('auditEvents').values({
    syndicateId: input.syndicateId, seq, memberId: input.memberId, actorUserId: input.actorUserId,
    action: input.action, subjectType: input.subjectType, subjectId: input.subjectId,
    before: jsonParam(normalised.before), after: jsonParam(normalised.after), ip: input.ip, occurredAt,
    prevHash: head.hash, hash,
  }).execute();
  await tx.updateTable('auditChainHeads').set({ seq, hash }).where('syndicateId', '=', input.syndicateId).execute();
}

/** What jsonb gives back when read: plain JSON values (Dates become strings). */
function normaliseJson(value: unknown): unknown {
  return value === undefined || value === null ? null : JSON.parse(JSON.stringify(value));
}

function jsonParam(value: unknown) {
  return value === null ? null : sql`${JSON.stringify(value)}::jsonb`;
}

export interface ChainVerification { ok: boolean; checked: number; firstBrokenSeq: string | null }

/** Recomputes the tenant's chain from the start; reports the first event whose hash or link is wrong. */
export async function verifyAuditChain(tx: Tx, syndicateId: string): Promise<ChainVerification> {
  let prev: Buffer = GENESIS;
  let checked = 0;
  let after = '0';
  for (;;) {
    const rows = await tx.selectFrom('auditEvents').selectAll().where('syndicateId', '=', syndicateId)
      .where('seq', '>', after).orderBy('seq').limit(1000).execute();
    if (rows.length === 0) return { ok: true, checked, firstBrokenSeq: null };
    for (const row of rows) {
      const expected = eventHash(prev, { ...row, before: row.before, after: row.after });
      if (!row.prevHash.equals(prev) || !row.hash.equals(expected)) return { ok: false, checked, firstBrokenSeq: row.seq };
      prev = row.hash;
      checked++;
      after = row.seq;
    }
  }
}
