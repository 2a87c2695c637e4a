import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { accessibleWhere } from '@mutualis/authz';
import {
  cancelSignalName, onboardInput, onboardMemberWorkflowName, onboardWorkflowId, progressQueryName, retrySignalName, TASK_QUEUE,
  type OnboardInput, type OnboardMemberInput, type WorkflowProgress,
} from '@mutualis/contracts';
import { withTenant, type Db } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { memberSearchText } from '../members/member.service.ts';
import { referenceCommunes, referenceEpcis } from '../reference/communes.reference.ts';

/** Today in Paris, as 'YYYY-MM-DD' (a member joins on the local calendar day). */
export function parisToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * Registers a member as onboarding and starts its `onboardMember` workflow, in one transaction:
 * a refusal (already a member, unknown code, an e-mail taken elsewhere) writes nothing, and if
 * Temporal cannot start the run the member is not recorded either. `taskQueue` is for tests and
 * benchmarks that run their own worker; the platform's worker polls TASK_QUEUE.
 */
export async function requestOnboarding(db: Db, temporal: Client, actor: Actor, raw: OnboardInput, taskQueue = TASK_QUEUE): Promise<{ memberId: string; workflowId: string }> {
  const input = onboardInput.parse(raw);
  let values: { kind: 'commune' | 'epci' | 'other'; name: string; inseeCode: string | null; siren: string | null; population: number; agentCount: number };
  if (input.kind === 'commune') {
    const ref = referenceCommunes().get(input.inseeCode);
    if (!ref) throw new ValidationError('inseeCode', `Le code INSEE ${input.inseeCode} n'est pas celui d'une commune actuelle du référentiel officiel.`);
    values = { kind: 'commune', name: ref.name, inseeCode: ref.inseeCode, siren: ref.siren, population: ref.population, agentCount: input.agentCount ?? Math.round(ref.population / 40) };
  } else {
    const epci = referenceEpcis().get(input.siren);
    const name = input.name ?? epci?.name;
    if (!name) throw new ValidationError('name', "Indiquez le nom de l'organisme : ce SIREN n'est pas celui d'un EPCI du référentiel.");
    values = { kind: input.kind, name, inseeCode: null, siren: input.siren, population: input.population ?? epci?.population ?? 0, agentCount: input.agentCount };
  }
  const memberId = randomUUID();
  const workflowId = onboardWorkflowId(memberId);
  const dsi = input.dsi ? { email: input.dsi.email, name: input.dsi.name } : null;
  await withTenant(db, actor.tenant, async (tx) => {
    const existing = await tx.selectFrom('members').select(['name', 'status']).where((eb) => eb.or([
      ...(values.siren ? [eb('siren', '=', values.siren)] : []), ...(values.inseeCode ? [eb('inseeCode', '=', values.inseeCode)] : []),
    ])).where('status', 'not in', ['cancelled', 'left']).executeTakeFirst();
    if (existing) throw new ValidationError(values.inseeCode ? 'inseeCode' : 'siren', `${existing.name} est déjà membre du syndicat (statut : ${existing.status}).`);
    // A cancelled or departed member with the same code stays as a record under its old id; the new one starts afresh.
    await tx.insertInto('members').values({
      id: memberId, syndicateId: actor.syndicateId, ...values, status: 'onboarding', searchText: memberSearchText(values),
      contactEmail: dsi?.email ?? null, contactName: dsi?.name ?? null,
    }).execute();
    await tx.insertInto('workflowRuns').values({
      syndicateId: actor.syndicateId, memberId, subjectType: 'Member', subjectId: memberId, workflowType: onboardMemberWorkflowName, workflowId, status: 'running',
    }).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId, actorUserId: actor.userId, action: 'member.onboard', subjectType: 'Member', subjectId: memberId,
      after: { ...values, dsi }, ip: actor.ip,
    });
    const workflowInput: OnboardMemberInput = {
      memberId, syndicateId: actor.syndicateId, requestedBy: { userId: actor.userId, ip: actor.ip }, dsi, startsOn: parisToday(),
    };
    // Started last, inside the transaction: if Temporal refuses, nothing above is kept.
    await temporal.workflow.start(onboardMemberWorkflowName, { workflowId, taskQueue, args: [workflowInput] });
  });
  return { memberId, workflowId };
}

async function visibleRun(db: Db, actor: Actor, workflowId: string) {
  const run = await withTenant(db, actor.tenant, (tx) => tx.selectFrom('workflowRuns').selectAll()
    .where('workflowId', '=', workflowId).where(accessibleWhere(actor.ability, 'read', 'WorkflowRun', 'workflow_runs')).executeTakeFirst());
  if (!run) throw new NotFoundError("Ce déroulement est introuvable, ou vous n'y avez pas accès.");
  return run;
}

export interface RunView extends WorkflowProgress {
  subjectType: string;
  subjectId: string;
  /** the step being retried right now, with Temporal's live attempt count and last error */
  live: { step: string | null; attempt: number; lastError: string | null } | null;
}

/**
 * The progress of a run the actor may see: the workflow's own `progress` query, plus live retry
 * details. A finished run is read from its result in the history instead (every tracked workflow
 * returns its progress): no worker has to replay it to answer, and pages that show old runs stay
 * fast while the workers are busy.
 */
export async function getRunProgress(db: Db, temporal: Client, actor: Actor, workflowId: string): Promise<RunView> {
  const run = await visibleRun(db, actor, workflowId);
  const handle = temporal.workflow.getHandle(workflowId);
  const description = await handle.describe().catch(() => null);
  if (description?.status.name === 'COMPLETED') {
    const progress = await handle.result() as WorkflowProgress;
    return { ...progress, subjectType: run.subjectType, subjectId: run.subjectId, live: null };
  }
  // A worker that cannot answer (busy, restarting) must not hang the page that asks: 5 s at most,
  // after which the page shows what the database knows and says the run's details are unavailable.
  const progress = await temporal.withDeadline(Date.now() + 5_000, () => handle.query<WorkflowProgress>(progressQueryName));
  const pending = description?.raw.pendingActivities?.[0];
  const running = progress.steps.find((s) => s.state === 'running');
  const live = pending && running ? {
    step: running.key, attempt: pending.attempt ?? 1,
    lastError: pending.lastFailure?.cause?.message ?? pending.lastFailure?.message ?? null,
  } : null;
  return { ...progress, subjectType: run.subjectType, subjectId: run.subjectId, live };
}

/** Asks a waiting run to try its failed step again. */
export async function retryRun(db: Db, temporal: Client, actor: Actor, workflowId: string): Promise<void> {
  const run = await visibleRun(db, actor, workflowId);
  if (!actor.ability.can('update', 'WorkflowRun')) throw new ForbiddenError();
  await temporal.workflow.getHandle(workflowId).signal(retrySignalName, { actorUserId: actor.userId });
  await withTenant(db, actor.tenant, (tx) => appendAudit(tx, {
    syndicateId: actor.syndicateId, memberId: run.memberId, actorUserId: actor.userId, action: 'workflow.retry', subjectType: 'WorkflowRun', subjectId: workflowId, ip: actor.ip,
  }));
}

/** Cancels a run: the workflow undoes what its steps made and records who cancelled. */
export async function cancelRun(db: Db, temporal: Client, actor: Actor, workflowId: string): Promise<void> {
  const run = await visibleRun(db, actor, workflowId);
  if (!actor.ability.can('update', 'WorkflowRun')) throw new ForbiddenError();
  await temporal.workflow.getHandle(workflowId).signal(cancelSignalName, { actorUserId: actor.userId });
  await withTenant(db, actor.tenant, (tx) => appendAudit(tx, {
    syndicateId: actor.syndicateId, memberId: run.memberId, actorUserId: actor.userId, action: 'workflow.cancel', subjectType: 'WorkflowRun', subjectId: workflowId, ip: actor.ip,
  }));
}

/** The runs of a subject (a member's onboarding…), newest first. */
export async function runsOf(db: Db, actor: Actor, subjectId: string) {
  return withTenant(db, actor.tenant, (tx) => tx.selectFrom('workflowRuns').select(['workflowId', 'workflowType', 'status', 'createdAt'])
    .where('subjectId', '=', subjectId).where(accessibleWhere(actor.ability, 'read', 'WorkflowRun', 'workflow_runs')).orderBy('createdAt', 'desc').execute());
}
