import { z } from 'zod';

/**
 * A member's LDAP / Active Directory: people of the commune sign in with their directory password;
 * their account is made (or brought up to date) at each login from the entry the directory returns.
 */

/** How the connection is protected: none (a trusted network only), StartTLS on ldap://, or ldaps://. */
export const DIRECTORY_SECURITIES = ['none', 'starttls', 'ldaps'] as const;
export const directorySecuritySchema = z.enum(DIRECTORY_SECURITIES);
export type DirectorySecurity = z.infer<typeof directorySecuritySchema>;

/** The roles a directory's groups can give in the commune; anyone else in the directory is an agent. */
export const DIRECTORY_ROLES = ['commune_agent', 'commune_elected', 'commune_dsi'] as const;
export const directoryRoleSchema = z.enum(DIRECTORY_ROLES);
export type DirectoryRole = z.infer<typeof directoryRoleSchema>;
export const DEFAULT_DIRECTORY_ROLE: DirectoryRole = 'commune_agent';

const attribute = (what: string) => z.string({ error: `Indiquez ${what}.` }).trim()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { error: `${what} : un nom d'attribut LDAP (lettres, chiffres, tirets), par exemple mail.` });

/** A DN as typed by a person: we only check it looks like one (`attribut=valeur`, separated by commas). */
const dn = (what: string, example: string) => z.string({ error: `Indiquez ${what}.` }).trim()
  .min(3, { error: `Indiquez ${what}, par exemple ${example}.` })
  .max(500, { error: `${what} : 500 caractères au plus.` })
  .regex(/^[A-Za-z][A-Za-z0-9-]*=[^,]+(,\s*[A-Za-z][A-Za-z0-9-]*=[^,]+)*$/, { error: `${what} ne ressemble pas à un DN LDAP (par exemple ${example}).` });

/** An LDAP search filter: in parentheses, balanced. The server parses it for real when tested. */
const filterError = { error: 'Le filtre doit être entre parenthèses et bien équilibré, par exemple (objectClass=person).' };
export const ldapFilterSchema = z.string().trim().max(500, { error: 'Le filtre : 500 caractères au plus.' })
  .regex(/^\(.*\)$/, filterError).refine(balanced, filterError);

function balanced(filter: string): boolean {
  let depth = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (c === '\\') { i += 2; continue; }
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

export const emailDomainSchema = z.string().trim().toLowerCase()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, { error: 'Un domaine de messagerie, par exemple mairie-exemple.fr (sans @).' });

export const roleMappingSchema = z.object({
  groupDn: dn('Le DN du groupe', 'cn=elus,ou=groupes,dc=ville,dc=fr'),
  role: directoryRoleSchema,
});
export type RoleMapping = z.infer<typeof roleMappingSchema>;

const PEM = /^-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----\s*$/;

/**
 * What the DSI sets. The bind password is never sent back: left out on an update, the stored one is
 * kept; a directory saved without one yet is a draft that cannot be used until it is given.
 */
const directoryFields = z.object({
  url: z.string({ error: "Indiquez l'adresse du serveur." }).trim()
    .regex(/^ldaps?:\/\/[^/?#\s]+\/?$/i, { error: "L'adresse du serveur : ldap://serveur:389 ou ldaps://serveur:636 (sans chemin)." })
    .max(300, { error: "L'adresse du serveur : 300 caractères au plus." }),
  security: directorySecuritySchema,
  caCertificate: z.union([
    z.literal(''),
    z.string().trim().max(20_000, { error: 'Le certificat : 20 000 caractères au plus.' })
      .regex(PEM, { error: 'Le certificat de l’autorité doit être au format PEM (-----BEGIN CERTIFICATE----- …).' }),
  ]).transform((v) => (v === '' ? null : v)).nullable().optional(),
  bindDn: dn('Le DN du compte de service', 'cn=mutualis,ou=services,dc=ville,dc=fr'),
  bindPassword: z.string().max(500, { error: 'Le mot de passe du compte de service : 500 caractères au plus.' })
    .transform((v) => (v === '' ? undefined : v)).optional(),
  baseDn: dn('La base de recherche', 'ou=personnes,dc=ville,dc=fr'),
  userFilter: ldapFilterSchema.default('(objectClass=person)'),
  loginAttribute: attribute("L'attribut de connexion").default('mail'),
  emailAttribute: attribute("L'attribut de l'adresse e-mail").default('mail'),
  nameAttribute: attribute('L’attribut du nom affiché').default('displayName'),
  groupAttribute: z.union([attribute("L'attribut des groupes"), z.literal('').transform(() => null), z.null()]).optional(),
  roleMappings: z.array(roleMappingSchema).max(50, { error: '50 correspondances de groupes au plus.' }).default([]),
  emailDomains: z.array(emailDomainSchema).min(1, { error: 'Indiquez au moins un domaine de messagerie routé vers cet annuaire.' })
    .max(20, { error: '20 domaines au plus.' })
    .refine((d) => new Set(d).size === d.length, { error: 'Un domaine est indiqué deux fois.' }),
  enabled: z.boolean().default(true),
});

/** The URL's scheme and the security chosen agree: ldaps:// for LDAPS, ldap:// otherwise. */
function schemeAgrees(c: { url: string; security: DirectorySecurity }): boolean {
  return (c.security === 'ldaps') === /^ldaps:/i.test(c.url);
}
const schemeIssue = { error: "L'adresse commence par ldaps:// pour LDAPS, et par ldap:// sans chiffrement ou avec StartTLS.", path: ['url'] };

export const directoryConfigSchema = directoryFields.refine(schemeAgrees, schemeIssue);
export type DirectoryConfigInput = z.input<typeof directoryConfigSchema>;
export type DirectoryConfig = z.output<typeof directoryConfigSchema>;

const memberId = z.uuid({ error: 'Identifiant de membre invalide.' });

export const directoryGetInput = z.object({ memberId });
export const directorySaveInput = directoryFields.extend({ memberId }).refine(schemeAgrees, schemeIssue);
export type DirectorySaveInput = z.input<typeof directorySaveInput>;

/** "Tester la connexion": the saved configuration, or the form's unsaved one; optionally look up one person. */
export const directoryTestInput = z.object({
  memberId,
  config: directoryConfigSchema.optional(),
  email: z.email({ error: 'Une adresse e-mail, par exemple prenom.nom@mairie.fr.' }).trim().toLowerCase().max(254).optional(),
});
export type DirectoryTestInput = z.input<typeof directoryTestInput>;

/** The directory as the DSI's page shows it: never the bind password, only whether one is set. */
export interface DirectoryView {
  id: string;
  memberId: string;
  url: string;
  security: DirectorySecurity;
  caCertificate: string | null;
  bindDn: string;
  hasBindPassword: boolean;
  baseDn: string;
  userFilter: string;
  loginAttribute: string;
  emailAttribute: string;
  nameAttribute: string;
  groupAttribute: string | null;
  roleMappings: RoleMapping[];
  emailDomains: string[];
  enabled: boolean;
  updatedAt: Date;
}

export const DIRECTORY_CHECKS = ['reach', 'tls', 'bind', 'base', 'entry'] as const;
export type DirectoryCheckKey = (typeof DIRECTORY_CHECKS)[number];
export interface DirectoryCheck { key: DirectoryCheckKey; ok: boolean; message: string }
export interface DirectoryTestResult { ok: boolean; checks: DirectoryCheck[] }
