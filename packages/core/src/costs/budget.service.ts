import { randomUUID } from 'node:crypto';
import { asSubject } from '@mutualis/authz';
import { allocationKeySchema, setBudgetLineInput, type AllocationKey, type SetBudgetLineInput } from '@mutualis/contracts';
import { withTenant, type Db } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { appendAudit } from '../audit/audit.service.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';

export interface BudgetLine { id: string; year: number; label: string; amountCents: number; key: AllocationKey; updatedAt: Date }

function assertCan(actor: Actor, action: 'read' | 'update') {
  if (!actor.ability.can(action, asSubject('CostModel', { syndicateId: actor.syndicateId }) as never)) {
    throw new ForbiddenError(action === 'read' ? 'Votre rôle ne permet pas de voir le budget du syndicat.' : 'Seules les finances du syndicat modifient le budget.');
  }
}

const lineOf = (row: { id: string; year: number; label: string; amountCents: string; allocationKey: unknown; updatedAt: Date }): BudgetLine => ({
  id: row.id, year: row.year, label: row.label, amountCents: Number(row.amountCents), key: allocationKeySchema.parse(row.allocationKey), updatedAt: row.updatedAt,
});

/** The budget lines of a year, in label order (finance, administrators and board members). */
export async function listBudgetLines(db: Db, actor: Actor, year: number): Promise<BudgetLine[]> {
  assertCan(actor, 'read');
  const rows = await withTenant(db, actor.tenant, (tx) => tx.selectFrom('budgetLines').select(['id', 'year', 'label', 'amountCents', 'allocationKey', 'updatedAt'])
    .where('year', '=', year).orderBy('label').execute());
  return rows.map(lineOf);
}

/** Creates or replaces a line (`costs.budget.setLine`); audited with what it was before. A label is unique within a year. */
export async function setBudgetLine(db: Db, actor: Actor, raw: SetBudgetLineInput): Promise<BudgetLine> {
  const input = setBudgetLineInput.parse(raw);
  assertCan(actor, 'update');
  return withTenant(db, actor.tenant, async (tx) => {
    const clash = await tx.selectFrom('budgetLines').select('id').where('year', '=', input.year).where('label', '=', input.label).executeTakeFirst();
    if (clash && clash.id !== input.id) throw new ValidationError('label', `Une ligne « ${input.label} » existe déjà pour ${input.year} : modifiez-la, ou choisissez un autre libellé.`);
    const values = { year: input.year, label: input.label, amountCents: input.amountCents, allocationKey: JSON.stringify(input.key) };
    let before: BudgetLine | null = null;
    let id = input.id ?? randomUUID();
    if (input.id) {
      const existing = await tx.selectFrom('budgetLines').select(['id', 'year', 'label', 'amountCents', 'allocationKey', 'updatedAt']).where('id', '=', input.id).forUpdate().executeTakeFirst();
      if (!existing) throw new NotFoundError('Cette ligne de budget est introuvable.');
      before = lineOf(existing);
      await tx.updateTable('budgetLines').set({ ...values, updatedAt: new Date() }).where('id', '=', input.id).execute();
    } else {
      id = (await tx.insertInto('budgetLines').values({ id, syndicateId: actor.syndicateId, ...values }).returning('id').executeTakeFirstOrThrow()).id;
    }
    const saved = lineOf(await tx.selectFrom('budgetLines').select(['id', 'year', 'label', 'amountCents', 'allocationKey', 'updatedAt']).where('id', '=', id).executeTakeFirstOrThrow());
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: null, actorUserId: actor.userId, action: before ? 'costs.budget_line_changed' : 'costs.budget_line_added',
      subjectType: 'CostModel', subjectId: id, before, after: saved, ip: actor.ip,
    });
    return saved;
  });
}

/** Removes a line; audited. */
export async function removeBudgetLine(db: Db, actor: Actor, id: string): Promise<void> {
  assertCan(actor, 'update');
  await withTenant(db, actor.tenant, async (tx) => {
    const existing = await tx.selectFrom('budgetLines').select(['id', 'year', 'label', 'amountCents', 'allocationKey', 'updatedAt']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!existing) throw new NotFoundError('Cette ligne de budget est introuvable.');
    await tx.deleteFrom('budgetLines').where('id', '=', id).execute();
    await appendAudit(tx, {
      syndicateId: actor.syndicateId, memberId: null, actorUserId: actor.userId, action: 'costs.budget_line_removed',
      subjectType: 'CostModel', subjectId: id, before: lineOf(existing), ip: actor.ip,
    });
  });
}
