import { z } from 'zod';
import { emailSchema } from './auth.schema.ts';

/** Roles a person signed in through a commune's own provider may be given (the DSI role is granted by the syndicate, never by a claim). */
export const FEDERATED_ROLES = ['commune_agent', 'commune_elected'] as const;
export const federatedRoleSchema = z.enum(FEDERATED_ROLES, { error: 'Choisissez « Agent » ou « Élu » : le rôle de DSI est attribué par le syndicat.' });
export type FederatedRole = z.infer<typeof federatedRoleSchema>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Whether an issuer is on this machine (tests, development): the only place plain http is allowed. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

const claimName = (what: string) => z.string({ error: `Indiquez ${what}.` }).trim()
  .regex(/^[A-Za-z0-9_:.\-/]{1,100}$/, { error: `${what[0]!.toUpperCase()}${what.slice(1)} est un nom de claim (lettres, chiffres, « _ », « - », « . », « : »), par exemple « email ».` });

const domainSchema = z.string().trim().toLowerCase().max(253, { error: 'Un nom de domaine a 253 caractères au plus.' })
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, { error: 'Indiquez des domaines de messagerie comme « mairie-exemple.fr », sans « @ » ni « https:// ».' });

export const issuerSchema = z.string({ error: "Indiquez l'adresse (issuer) du fournisseur d'identité." }).trim()
  .max(500, { error: "L'adresse du fournisseur est trop longue (500 caractères au plus)." })
  .pipe(z.url({ error: "L'adresse du fournisseur doit être une URL, par exemple https://auth.agentconnect.gouv.fr/api/v2." }))
  .refine((value) => {
    // Checks run even when the URL check above failed: an unparsable value is simply refused here too.
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url))) && !url.search && !url.hash && !url.username && !url.password;
  }, { error: "L'adresse du fournisseur doit commencer par https:// (http:// seulement sur cette machine), sans paramètres ni identifiants." });

export const federationMemberInput = z.object({ memberId: z.uuid({ error: "L'identifiant de la commune est invalide." }) });

export const federationSaveInput = z.object({
  memberId: z.uuid({ error: "L'identifiant de la commune est invalide." }),
  label: z.string({ error: 'Donnez un nom au fournisseur, par exemple « ProConnect ».' }).trim()
    .min(1, { error: 'Donnez un nom au fournisseur, par exemple « ProConnect ».' }).max(80, { error: 'Le nom du fournisseur a 80 caractères au plus.' }),
  issuer: issuerSchema,
  clientId: z.string({ error: "Indiquez l'identifiant client que le fournisseur vous a donné." }).trim()
    .min(1, { error: "Indiquez l'identifiant client que le fournisseur vous a donné." }).max(255, { error: "L'identifiant client a 255 caractères au plus." }),
  /** Required the first time; left out (or empty) on an update, the stored secret is kept. */
  clientSecret: z.string().max(500, { error: 'Le secret client a 500 caractères au plus.' }).optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim())),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, { error: 'Un scope est un mot sans espace, par exemple « openid ».' }), { error: 'Indiquez les scopes à demander.' })
    .min(1, { error: 'Indiquez au moins le scope « openid ».' }).max(20, { error: 'Au plus 20 scopes.' })
    .refine((s) => s.includes('openid'), { error: 'Les scopes doivent contenir « openid » (OpenID Connect).' })
    .transform((s) => [...new Set(s)])
    // What ProConnect and most providers need to give the e-mail and the name.
    .default(['openid', 'email', 'profile']),
  emailClaim: claimName('le claim qui donne l’adresse e-mail').default('email'),
  nameClaims: z.array(claimName('le claim qui donne le nom'), { error: 'Indiquez le ou les claims qui donnent le nom.' })
    .min(1, { error: 'Indiquez le ou les claims qui donnent le nom, par exemple « name » ou « given_name usual_name ».' })
    .max(5, { error: 'Au plus 5 claims pour le nom.' }),
  groupsClaim: claimName('le claim des groupes').nullish().transform((v) => v ?? null),
  roleMapping: z.array(z.object({
    group: z.string({ error: 'Indiquez le nom du groupe.' }).trim().min(1, { error: 'Indiquez le nom du groupe.' }).max(200, { error: 'Un nom de groupe a 200 caractères au plus.' }),
    role: federatedRoleSchema,
  })).max(50, { error: 'Au plus 50 correspondances de groupes.' }).default([]),
  defaultRole: federatedRoleSchema.default('commune_agent'),
  mfaAcrValues: z.array(z.string().trim().min(1).max(200, { error: 'Une valeur acr a 200 caractères au plus.' })).max(20, { error: 'Au plus 20 valeurs acr.' }).default([]),
  emailDomains: z.array(domainSchema, { error: 'Indiquez les domaines de messagerie de la commune.' })
    .min(1, { error: 'Indiquez au moins un domaine de messagerie, par exemple « mairie-exemple.fr ».' })
    .max(50, { error: 'Au plus 50 domaines de messagerie.' })
    .transform((d) => [...new Set(d)]),
  enabled: z.boolean().default(true),
});
// (A group mapping without a groups claim is refused by the service, naming groupsClaim.)
export type FederationSaveInput = z.input<typeof federationSaveInput>;
export type FederationSave = z.output<typeof federationSaveInput>;

/** What the DSI sees of the provider: everything but the secret (only whether one is set). */
export interface UpstreamProviderView {
  id: string;
  memberId: string;
  label: string;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string[];
  emailClaim: string;
  nameClaims: string[];
  groupsClaim: string | null;
  roleMapping: Array<{ group: string; role: FederatedRole }>;
  defaultRole: FederatedRole;
  mfaAcrValues: string[];
  emailDomains: string[];
  enabled: boolean;
  updatedAt: Date;
}

export interface FederationSettings {
  memberId: string;
  provider: UpstreamProviderView | null;
  /** The redirect URI to register at the upstream provider. */
  redirectUri: string;
}

/** Start of a login through the commune's provider: the e-mail picks the provider by its domain. */
export const federationBeginInput = z.object({
  email: emailSchema,
  redirectTo: z.string().max(2000).nullish(),
});

/** The upstream's answer, with the sealed request the browser kept in its cookie. */
export const federationCompleteInput = z.object({
  query: z.string().max(8192),
  /** empty when the browser holds no request: refused by the service with a sentence, like any other unknown request */
  request: z.string().max(4096, { error: "Cette connexion n'a pas été commencée dans ce navigateur, ou a expiré : recommencez depuis la page de connexion." }),
});

/** The path, on the platform, where upstream providers send the browser back. */
export const FEDERATION_CALLBACK_PATH = '/connexion/federation/retour';
