import { describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { buildMemberArchive, frenchCsv, neutraliseFormula, parisDateTime, type MemberArchiveData } from './member-archive.ts';

const at = new Date('2026-07-14T10:30:00Z');
const data: MemberArchiveData = {
  exportedAt: at,
  syndicate: { id: 's1', name: 'Syndicat' },
  member: {
    id: 'm1', kind: 'commune', name: 'Vandœuvre-lès-Nancy', inseeCode: '54547', siren: '215405478', population: 29_000, agentCount: 700,
    status: 'active', contactName: 'Zoé Œuvray', contactEmail: 'dsi@vandoeuvre.example', createdAt: at, updatedAt: at,
  },
  users: [{ id: 'u1', email: 'a@b.example', displayName: '=HYPERLINK("http://evil.example")', status: 'active', createdAt: at }],
  memberships: [], identityGroups: [], invitations: [], costShares: [{ id: 'c1', startsOn: '2026-01-01', endsOn: null, createdAt: at }],
  auditEvents: [{ seq: '1', occurredAt: at, action: 'member.onboard', actorUserId: null, subjectType: 'Member', subjectId: 'm1', before: null, after: { a: 'x;y' }, ip: null, hash: 'ab' }],
};

describe('the archive of a departing member', () => {
  it('writes CSV for French spreadsheets: BOM, semicolons, CRLF, Paris time, quoted separators', () => {
    const csv = frenchCsv([{ name: 'Zoé; fils', at, n: 3, none: null }], [['nom', (r) => r.name], ['date', (r) => r.at], ['n', (r) => r.n], ['vide', (r) => r.none]]);
    expect(csv).toBe('\uFEFFnom;date;n;vide\r\n"Zoé; fils";2026-07-14 12:30:00;3;\r\n');
    expect(parisDateTime(new Date('2026-01-15T23:30:00Z'))).toBe('2026-01-16 00:30:00');
  });

  it('keeps a spreadsheet from running a cell as a formula', () => {
    expect(['=1+1', '+33 1', '-2', '@SUM(A1)', 'Bron'].map(neutraliseFormula)).toEqual(["'=1+1", "'+33 1", "'-2", "'@SUM(A1)", 'Bron']);
    const entries = unzipSync(buildMemberArchive(data).bytes);
    expect(strFromU8(entries['utilisateurs.csv']!)).toContain(`u1;a@b.example;"'=HYPERLINK(""http://evil.example"")";active;`);
    // The JSON keeps the exact value.
    expect(JSON.parse(strFromU8(entries['export.json']!)).users[0].displayName).toBe('=HYPERLINK("http://evil.example")');
  });

  it('is the same zip, byte for byte, for the same data (its SHA-256 identifies it)', () => {
    const a = buildMemberArchive(data);
    const b = buildMemberArchive(structuredClone(data));
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.sha256).toBe(b.sha256);
    const entries = unzipSync(a.bytes);
    expect(strFromU8(entries['membre.csv']!).split('\r\n')[1]).toBe('m1;commune;Vandœuvre-lès-Nancy;54547;215405478;29000;700;active;Zoé Œuvray;dsi@vandoeuvre.example;2026-07-14 12:30:00;2026-07-14 12:30:00');
    expect(strFromU8(entries['journal-audit.csv']!).split('\r\n')[1]).toBe('1;2026-07-14 12:30:00;member.onboard;;Member;m1;;"{""a"":""x;y""}";;ab');
  });
});
