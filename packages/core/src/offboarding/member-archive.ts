/**
 * The archive handed to a departing member (reversibility): its data as one JSON document, for
 * programs, and as CSV files a French spreadsheet opens as is (`;` separator, UTF-8 with BOM,
 * Paris times), zipped.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { strToU8, zipSync, type Zippable } from 'fflate';

export interface MemberArchiveData {
  exportedAt: Date;
  syndicate: { id: string; name: string };
  member: {
    id: string; kind: string; name: string; inseeCode: string | null; siren: string | null; population: number; agentCount: number;
    status: string; contactName: string | null; contactEmail: string | null; createdAt: Date; updatedAt: Date;
  };
  users: Array<{ id: string; email: string; displayName: string; status: string; createdAt: Date }>;
  memberships: Array<{ id: string; userId: string; role: string; createdAt: Date }>;
  identityGroups: Array<{ id: string; role: string; name: string; createdAt: Date }>;
  /** metadata only: never the token hash */
  invitations: Array<{ id: string; userId: string; expiresAt: Date; usedAt: Date | null; revokedAt: Date | null; createdAt: Date }>;
  costShares: Array<{ id: string; startsOn: string; endsOn: string | null; createdAt: Date }>;
  auditEvents: Array<{
    seq: string; occurredAt: Date; action: string; actorUserId: string | null; subjectType: string; subjectId: string | null;
    before: unknown; after: unknown; ip: string | null; hash: string;
  }>;
}

export interface MemberArchive { bytes: Uint8Array; sha256: string; files: string[] }

/** 'YYYY-MM-DD HH:MM:SS', Paris time: what a spreadsheet recognises as a date and time. */
export function parisDateTime(date: Date): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(date);
}

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) is
 * prefixed with an apostrophe: a display name like `=HYPERLINK(…)` stays text (CSV injection).
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

type Column<T> = [header: string, value: (row: T) => string | number | Date | null];

/** One CSV file: header line, `;` separator, CRLF line ends, UTF-8 BOM (Excel then reads accents right). */
export function frenchCsv<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>): string {
  return stringify([columns.map(([header]) => header), ...rows.map((row) => columns.map(([, value]) => value(row)))], {
    delimiter: ';', bom: true, record_delimiter: 'windows',
    cast: { string: neutraliseFormula, date: parisDateTime },
  });
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

const README = `Export des données d'un membre quittant le syndicat (réversibilité)

export.json             toutes les données ci-dessous, en un seul document JSON (heures en UTC, ISO 8601)
membre.csv              la fiche du membre
utilisateurs.csv        les comptes des personnes rattachées au membre
roles.csv               leurs rôles dans le membre
groupes-identite.csv    les groupes de l'annuaire d'identité du membre
invitations.csv         les invitations envoyées (sans leur jeton secret)
quotes-parts.csv        les périodes de quote-part
journal-audit.csv       le journal d'audit du membre (chaque événement avec son empreinte SHA-256 chaînée)

Les fichiers CSV sont en UTF-8 avec BOM, séparés par des points-virgules, heures de Paris.
Une cellule qui commencerait par =, +, - ou @ est précédée d'une apostrophe, pour qu'un tableur
ne l'exécute pas comme une formule ; export.json garde les valeurs exactes.
`;

/** Builds the zip (deterministic for the same data: every entry is dated `exportedAt`). */
export function buildMemberArchive(data: MemberArchiveData): MemberArchive {
  const m = data.member;
  const files: Record<string, string> = {
    'LISEZMOI.txt': README,
    'export.json': JSON.stringify({ format: 'mutualis-member-export', version: 1, ...data }, null, 2),
    'membre.csv': frenchCsv([m], [
      ['identifiant', (r) => r.id], ['type', (r) => r.kind], ['nom', (r) => r.name], ['code_insee', (r) => r.inseeCode], ['siren', (r) => r.siren],
      ['population', (r) => r.population], ['agents', (r) => r.agentCount], ['statut', (r) => r.status],
      ['contact_nom', (r) => r.contactName], ['contact_email', (r) => r.contactEmail], ['cree_le', (r) => r.createdAt], ['modifie_le', (r) => r.updatedAt],
    ]),
    'utilisateurs.csv': frenchCsv(data.users, [
      ['identifiant', (r) => r.id], ['email', (r) => r.email], ['nom', (r) => r.displayName], ['statut', (r) => r.status], ['cree_le', (r) => r.createdAt],
    ]),
    'roles.csv': frenchCsv(data.memberships, [
      ['identifiant', (r) => r.id], ['utilisateur', (r) => r.userId], ['role', (r) => r.role], ['cree_le', (r) => r.createdAt],
    ]),
    'groupes-identite.csv': frenchCsv(data.identityGroups, [
      ['identifiant', (r) => r.id], ['role', (r) => r.role], ['nom', (r) => r.name], ['cree_le', (r) => r.createdAt],
    ]),
    'invitations.csv': frenchCsv(data.invitations, [
      ['identifiant', (r) => r.id], ['utilisateur', (r) => r.userId], ['expire_le', (r) => r.expiresAt], ['utilisee_le', (r) => r.usedAt],
      ['revoquee_le', (r) => r.revokedAt], ['creee_le', (r) => r.createdAt],
    ]),
    'quotes-parts.csv': frenchCsv(data.costShares, [
      ['identifiant', (r) => r.id], ['debut', (r) => r.startsOn], ['fin', (r) => r.endsOn], ['creee_le', (r) => r.createdAt],
    ]),
    'journal-audit.csv': frenchCsv(data.auditEvents, [
      ['numero', (r) => r.seq], ['date', (r) => r.occurredAt], ['action', (r) => r.action], ['auteur', (r) => r.actorUserId],
      ['objet_type', (r) => r.subjectType], ['objet', (r) => r.subjectId], ['avant', (r) => json(r.before)], ['apres', (r) => json(r.after)],
      ['ip', (r) => r.ip], ['empreinte', (r) => r.hash],
    ]),
  };
  const entries: Zippable = {};
  for (const [name, text] of Object.entries(files)) entries[name] = [strToU8(text), { mtime: data.exportedAt }];
  const bytes = zipSync(entries, { level: 6 });
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), files: Object.keys(files) };
}
