import { randomUUID } from 'node:crypto';
import { appendAudit } from '@mutualis/core';
import { setTenant, type Db, type TenantContext, type Tx } from '@mutualis/db';
import { ownerDb } from './db.ts';
import type { TestTenant } from './factories.ts';

export interface TenantActivity {
  /** One session of the admin. */
  sessionId: string;
  /** Per member id: a workflow run and an audit event belonging to that member. */
  workflowRunIds: Map<string, string>;
  auditEventIds: Map<string, string>;
}

/**
 * Rows in every other tenant table: a session, and per member an audit event and a workflow run
 * (written as the owner, as the platform's services would write them).
 */
export async function addActivity(tenant: TestTenant): Promise<TenantActivity> {
  const owner = ownerDb();
  const { actor } = await tenant.openSession('syndicate_admin');
  const workflowRunIds = new Map<string, string>();
  const auditEventIds = new Map<string, string>();
  for (const member of tenant.members) {
    const run = await owner.insertInto('workflowRuns').values({
      syndicateId: tenant.syndicateId, memberId: member.id, subjectType: 'Member', subjectId: member.id,
      workflowType: 'pingWorkflow', workflowId: `test:${randomUUID()}`, status: 'running',
    }).returning('id').executeTakeFirstOrThrow();
    workflowRunIds.set(member.id, run.id);
    await owner.transaction().execute((tx) => appendAudit(tx, {
      syndicateId: tenant.syndicateId, memberId: member.id, actorUserId: tenant.users.syndicate_admin.id,
      action: 'test.touch', subjectType: 'Member', subjectId: member.id, after: { name: member.name }, ip: tenant.ip,
    }));
    const event = await owner.selectFrom('auditEvents').select('id').where('syndicateId', '=', tenant.syndicateId)
      .where('memberId', '=', member.id).orderBy('seq', 'desc').executeTakeFirstOrThrow();
    auditEventIds.set(member.id, event.id);
  }
  return { sessionId: actor.sessionId, workflowRunIds, auditEventIds };
}

class Rollback extends Error {
  readonly value: unknown;
  constructor(value: unknown) { super('rollback'); this.value = value; }
}

/**
 * Runs `fn` in a transaction with the tenant's row-level security context, then rolls it back
 * whatever happened, so a probe that wrongly succeeds (an update of another tenant) changes nothing.
 */
export async function probeAs<T>(db: Db, tenant: TenantContext, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    await db.transaction().execute(async (tx) => {
      await setTenant(tx, tenant);
      throw new Rollback(await fn(tx));
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value as T;
    throw error;
  }
  throw new Error('unreachable');
}

/** The error a statement raised (as a promise that resolves to it), or a failure if it succeeded. */
export async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('The statement succeeded, but it should have been refused.');
}
