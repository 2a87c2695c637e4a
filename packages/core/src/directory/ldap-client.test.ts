import { describe, expect, it } from 'vitest';
import { describeFailure, escapeFilterValue, hostAndPort, normaliseDn, personFilter, rolesFromGroups } from './ldap-client.ts';

describe('LDAP filters', () => {
  it('escapes what could change a filter (RFC 4515)', () => {
    expect(escapeFilterValue('*)(mail=*')).toBe('\\2a\\29\\28mail=\\2a');
    expect(escapeFilterValue('a\\b\0c')).toBe('a\\5cb\\00c');
    expect(escapeFilterValue('prenom.nom@mairie.fr')).toBe('prenom.nom@mairie.fr');
  });

  it('puts the escaped login under the configured filter', () => {
    expect(personFilter({ userFilter: '(objectClass=person)', loginAttribute: 'mail' }, '*@ville.fr'))
      .toBe('(&(objectClass=person)(mail=\\2a@ville.fr))');
  });
});

describe('roles from groups', () => {
  const mappings = [
    { groupDn: 'CN=Elus, OU=Groupes,DC=ville,DC=fr', role: 'commune_elected' as const },
    { groupDn: 'cn=dsi,ou=groupes,dc=ville,dc=fr', role: 'commune_dsi' as const },
  ];
  it('compares DNs without case or spaces, and gives every mapped role', () => {
    expect(normaliseDn('CN=Elus, OU=Groupes ,DC=ville,DC=fr')).toBe('cn=elus,ou=groupes,dc=ville,dc=fr');
    expect(rolesFromGroups(['cn=elus,ou=groupes,dc=ville,dc=fr', 'cn=DSI,ou=groupes,dc=ville,dc=fr'], mappings)).toEqual(['commune_dsi', 'commune_elected']);
  });
  it('makes anyone else an agent', () => {
    expect(rolesFromGroups([], mappings)).toEqual(['commune_agent']);
    expect(rolesFromGroups(['cn=autre,dc=ville,dc=fr'], [])).toEqual(['commune_agent']);
  });
});

describe('addresses and failures', () => {
  it('knows the default ports', () => {
    expect(hostAndPort('ldap://annuaire.ville.fr')).toEqual({ host: 'annuaire.ville.fr', port: 389 });
    expect(hostAndPort('ldaps://annuaire.ville.fr')).toEqual({ host: 'annuaire.ville.fr', port: 636 });
    expect(hostAndPort('ldap://[::1]:3389')).toEqual({ host: '::1', port: 3389 });
  });
  it('words network errors for a person', () => {
    const s = { url: 'ldap://annuaire.ville.fr', baseDn: 'dc=ville,dc=fr', bindDn: 'cn=svc,dc=ville,dc=fr' };
    expect(describeFailure(Object.assign(new Error('x'), { code: 'ENOTFOUND' }), s)).toBe("Le nom annuaire.ville.fr est inconnu : vérifiez l'adresse du serveur.");
    expect(describeFailure(Object.assign(new Error('x'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), s)).toMatch(/n'est pas reconnu/);
  });
});
