import { withTenant, type Db, type Tx } from '@mutualis/db';
import { invitationToken } from '../invitations/invitation-token.ts';
import { renderMail, type MailTemplate } from './mail-templates.ts';

/** What sends mail (the SMTP provisioner in production and tests). */
export interface MailSender {
  send(mail: { to: string; subject: string; text: string; messageId: string }): Promise<{ messageId: string }>;
}

export interface MailDeps { mailer: MailSender; secretKey: string; origin: string }

/** Queues a mail under a business key (idempotent: the same key queues nothing more). */
export async function enqueueMail(tx: Tx, input: { syndicateId: string; memberId: string | null; key: string; to: string } & MailTemplate): Promise<string> {
  await tx.insertInto('mailOutbox').values({
    syndicateId: input.syndicateId, memberId: input.memberId, idempotencyKey: input.key, toAddress: input.to,
    template: input.template, params: JSON.stringify(input.params), status: 'pending',
  }).onConflict((oc) => oc.column('idempotencyKey').doNothing()).execute();
  const row = await tx.selectFrom('mailOutbox').select('id').where('idempotencyKey', '=', input.key).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Sends a queued mail once. A mail already sent is not sent again; a failure is recorded (attempts,
 * last error) and thrown, so the calling step retries with backoff. The Message-ID is derived from
 * the business key, so even the narrow window between the relay's "250 OK" and our commit cannot
 * produce two different messages.
 */
export async function sendQueuedMail(db: Db, deps: MailDeps, syndicateId: string, outboxId: string): Promise<{ sent: boolean; to: string }> {
  const tenant = { syndicateId, memberIds: null };
  const row = await withTenant(db, tenant, (tx) => tx.selectFrom('mailOutbox').selectAll().where('id', '=', outboxId).executeTakeFirstOrThrow());
  if (row.status === 'sent') return { sent: false, to: row.toAddress };
  const { subject, text } = renderMail({ template: row.template, params: row.params } as MailTemplate, {
    origin: deps.origin,
    invitationLink: (id) => `${deps.origin}/invitation/${invitationToken(deps.secretKey, id)}`,
  });
  try {
    const { messageId } = await deps.mailer.send({ to: row.toAddress, subject, text, messageId: `<${row.idempotencyKey.replace(/[^\w.-]/g, '.')}@mutualis>` });
    await withTenant(db, tenant, (tx) => tx.updateTable('mailOutbox')
      .set((eb) => ({ status: 'sent', sentAt: new Date(), messageId, attempts: eb('attempts', '+', 1), lastError: null })).where('id', '=', outboxId).execute());
    return { sent: true, to: row.toAddress };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await withTenant(db, tenant, (tx) => tx.updateTable('mailOutbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), lastError: message.slice(0, 500) })).where('id', '=', outboxId).execute());
    throw new Error(`Le serveur de messagerie n’a pas accepté le courriel pour ${row.toAddress} : ${message}`);
  }
}
