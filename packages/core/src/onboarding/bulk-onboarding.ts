import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  bulkOnboardWorkflowId, bulkOnboardWorkflowName, onboardMemberWorkflowName, onboardWorkflowId, TASK_QUEUE, type BulkOnboardInput,
} from '@mutualis/contracts';
import { withTenant, type Db } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { once } from '../effects.ts';
import { ValidationError } from '../errors.ts';
import { memberSearchText } from '../members/member.service.ts';
import { referenceCommunes, referenceEpcis } from '../reference/communes.reference.ts';
import { parisToday } from './onboarding.service.ts';

/** Starts the onboarding of every commune of an EPCI of the official reference that is not yet a member. */
export async function requestEpciOnboarding(db: Db, temporal: Client, actor: Actor, epciSiren: string, taskQueue = TASK_QUEUE): Promise<{ workflowId: string; communes: number }> {
  const epci = referenceEpcis().get(epciSiren);
  if (!epci) throw new ValidationError('siren', `Le SIREN ${epciSiren} n'est pas celui d'un EPCI du référentiel officiel.`);
  const bulkId = randomUUID();
  const workflowId = bulkOnboardWorkflowId(bulkId);
  await withTenant(db, actor.tenant, async (tx) => {
    const running = await tx.selectFrom('workflowRuns').select('workflowId').where('workflowType', '=', bulkOnboardWorkflowName)
      .where('subjectId', '=', epciSiren).where('status', '=', 'running').executeTakeFirst();
    if (running) throw new ValidationError('siren', `L'adhésion des communes de ${epci.name} est déjà en cours.`);
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId: null, subjectType: 'Epci', subjectId: epciSiren, workflowType: bulkOnboardWorkflowName, workflowId, status: 'running',
    }).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: null, actorUserId: actor.userId, action: 'member.onboard_epci', subjectType: 'Epci', subjectId: epciSiren,
      after: { name: epci.name, communes: epci.memberInseeCodes.length, workflowId }, ip: actor.ip,
    });
    const input: BulkOnboardInput = { bulkId, syndicateId: actor.syndicateId, epciSiren, requestedBy: { userId: actor.userId, ip: actor.ip }, startsOn: parisToday() };
    await temporal.workflow.start(bulkOnboardWorkflowName, { workflowId, taskQueue, args: [input] });
  });
  return { workflowId, communes: epci.memberInseeCodes.length };
}

/**
 * Bulk step 1: registers every commune of the EPCI that is not a current member (status
 * onboarding, with its run row), once. Returns the members to onboard, in reference order.
 */
export function registerEpciMembers(db: Db, input: BulkOnboardInput & { workflowId: string }): Promise<Array<{ memberId: string; name: string }>> {
  return withTenant(db, { syndicateId: input.syndicateId, memberIds: null }, (tx) => once(tx, input.syndicateId, `${input.workflowId}:register`, async () => {
    const epci = referenceEpcis().get(input.epciSiren);
    if (!epci) return [];
    const existing = new Set((await tx.selectFrom('members').select('inseeCode').where('inseeCode', 'in', epci.memberInseeCodes)
      .where('status', 'not in', ['cancelled', 'left']).execute()).map((r) => r.inseeCode));
    const created: Array<{ memberId: string; name: string }> = [];
    for (const insee of epci.memberInseeCodes) {
      const ref = referenceCommunes().get(insee);
      if (!ref || existing.has(insee)) continue;
      const memberId = randomUUID();
      await tx.insertInto('members').values({
        id: memberId, syndicateId: input.syndicateId, kind: 'commune', name: ref.name, inseeCode: insee, siren: ref.siren, population: ref.population,
        agentCount: Math.round(ref.population / 40), status: 'onboarding', searchText: memberSearchText(ref),
      }).execute();
      await tx.insertInto('workflowRuns').values({
        syndicateId: input.syndicateId, memberId, subjectType: 'Member', subjectId: memberId, workflowType: onboardMemberWorkflowName,
        workflowId: onboardWorkflowId(memberId), status: 'running',
      }).execute();
      await appendAudit(tx, {
        syndicateId: input.syndicateId, memberId, actorUserId: input.requestedBy.userId, action: 'member.onboard', subjectType: 'Member', subjectId: memberId,
        after: { name: ref.name, inseeCode: insee, viaEpci: input.epciSiren }, ip: input.requestedBy.ip,
      });
      created.push({ memberId, name: ref.name });
    }
    return created;
  }));
}
