import { describe, expect, it } from 'vitest';
import { mapClaims } from './federated-login.ts';

const proconnect = {
  emailClaim: 'email', nameClaims: ['given_name', 'usual_name'], groupsClaim: 'groups',
  roleMapping: [{ group: 'elus', role: 'commune_elected' as const }], defaultRole: 'commune_agent' as const, mfaAcrValues: ['eidas2'],
};

describe('mapClaims (a provider\'s claim mapping)', () => {
  it('joins the name claims, lowercases the e-mail, maps the first matching group, else the default role', () => {
    expect(mapClaims(proconnect, { sub: 'abc', email: ' Camille.Martin@Mairie.FR ', email_verified: true, given_name: 'Camille', usual_name: 'Martin', groups: ['agents', 'elus'] }))
      .toEqual({ subject: 'abc', email: 'camille.martin@mairie.fr', emailVerified: true, displayName: 'Camille Martin', role: 'commune_elected', mfa: false });
    expect(mapClaims(proconnect, { sub: 'abc', email: 'a@b.fr', email_verified: true, groups: 'agents' })).toMatchObject({ role: 'commune_agent', displayName: null });
  });

  it('only a JSON true vouches for the e-mail; a malformed e-mail is none', () => {
    expect(mapClaims(proconnect, { sub: 'x', email: 'a@b.fr', email_verified: 'true' }).emailVerified).toBe(false);
    expect(mapClaims(proconnect, { sub: 'x', email: 'a@b.fr' }).emailVerified).toBe(false);
    expect(mapClaims(proconnect, { sub: 'x', email: 'not an address', email_verified: true }).email).toBeNull();
  });

  it('a second factor upstream: amr mfa/otp/hwk, or an acr the member lists', () => {
    expect(mapClaims(proconnect, { sub: 'x', amr: ['pwd', 'hwk'] }).mfa).toBe(true);
    expect(mapClaims(proconnect, { sub: 'x', amr: ['pwd'], acr: 'eidas1' }).mfa).toBe(false);
    expect(mapClaims(proconnect, { sub: 'x', acr: 'eidas2' }).mfa).toBe(true);
    // A role the mapping could not give (never the DSI's) falls back to the default.
    expect(mapClaims({ ...proconnect, roleMapping: [{ group: 'dsi', role: 'commune_dsi' as never }] }, { sub: 'x', groups: ['dsi'] }).role).toBe('commune_agent');
  });
});
