import { accessibleWhere } from '@mutualis/authz';
import { membersListInput, type MemberDetail, type MemberSummary, type MembersListInput } from '@mutualis/contracts';
import { withTenant, type Db } from '@mutualis/db';
import type { Actor } from '../actor.ts';
import { NotFoundError, ValidationError } from '../errors.ts';

/**
 * Lower case, accents removed, ligatures spelt out (Vandœuvre is found by "vandoeuvre"),
 * punctuation as spaces: what people type when they search a name.
 */
export function normaliseSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae')
    .replace(/[^a-z0-9]+/g, ' ').trim();
}

/** The text a member is found by: its name, INSEE code and SIREN. */
export function memberSearchText(m: { name: string; inseeCode: string | null; siren: string | null }): string {
  return [normaliseSearch(m.name), m.inseeCode ?? '', m.siren ?? ''].join(' ').trim();
}

const summaryColumns = ['members.id', 'members.kind', 'members.name', 'members.inseeCode', 'members.siren', 'members.population', 'members.agentCount', 'members.status'] as const;

export interface MemberPage { items: MemberSummary[]; nextCursor: string | null; total: number }

/**
 * The members the actor may read, by name, searchable by name, INSEE code or SIREN, a page at a time
 * (keyset pagination on name and id, so page N costs the same as page 1).
 */
export async function listMembers(db: Db, actor: Actor, rawInput: MembersListInput): Promise<MemberPage> {
  const input = membersListInput.parse(rawInput);
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const search = input.search ? normaliseSearch(input.search) : '';
  return withTenant(db, actor.tenant, async (tx) => {
    let query = tx.selectFrom('members').where(accessibleWhere(actor.ability, 'read', 'Member', 'members'));
    if (search) query = query.where('members.searchText', 'like', `%${search.replace(/[%_\\]/g, '\\$&')}%`);
    if (input.status) query = query.where('members.status', '=', input.status);
    const { total } = await query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
    // Ordered by the accent-free name (search_text starts with it): "Vénissieux" sorts before "Villeurbanne" whatever the collation.
    let page = query.select([...summaryColumns, 'members.searchText']).orderBy('members.searchText').orderBy('members.id').limit(input.limit + 1);
    if (after) page = page.where((eb) => eb.or([eb('members.searchText', '>', after.key), eb.and([eb('members.searchText', '=', after.key), eb('members.id', '>', after.id)])]));
    const rows = await page.execute();
    const last = rows[input.limit - 1];
    const items = rows.slice(0, input.limit).map(({ searchText: _, ...member }) => member);
    return { items, total: Number(total), nextCursor: rows.length > input.limit && last ? encodeCursor(last.searchText, last.id) : null };
  });
}

/** One member, if the actor may read it; otherwise NOT_FOUND, so existence never leaks across tenants. */
export async function getMember(db: Db, actor: Actor, id: string): Promise<MemberDetail> {
  return withTenant(db, actor.tenant, async (tx) => {
    const row = await tx.selectFrom('members').innerJoin('syndicates', 'syndicates.id', 'members.syndicateId')
      .select([...summaryColumns, 'members.createdAt', 'members.updatedAt', 'members.contactEmail', 'members.contactName', 'syndicates.name as syndicateName'])
      .where('members.id', '=', id).where(accessibleWhere(actor.ability, 'read', 'Member', 'members'))
      .executeTakeFirst();
    if (!row) throw new NotFoundError("Ce membre est introuvable, ou vous n'y avez pas accès.");
    return row;
  });
}

function encodeCursor(key: string, id: string): string {
  return Buffer.from(JSON.stringify([key, id])).toString('base64url');
}

function decodeCursor(cursor: string): { key: string; id: string } {
  try {
    const [key, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof key === 'string' && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) return { key, id };
  } catch { /* fall through */ }
  throw new ValidationError('cursor', 'Le curseur de pagination est invalide : rechargez la liste depuis la première page.');
}
