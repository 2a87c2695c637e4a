import type { OfferingFields, PlanPrice } from '@mutualis/contracts';
import type { Db, Tx } from '@mutualis/db';

interface SeedOffering extends OfferingFields {
  plans: Array<{ code: string; nameFr: string; nameEn: string; prices: Array<{ from: string } & PlanPrice> }>;
}

const price = (from: string, p: Partial<PlanPrice>): { from: string } & PlanPrice => ({ from, annualFixedCents: 0, perUserCents: 0, perGbCents: 0, perInhabitantCents: 0, ...p });
const SINCE = '2026-01-01';
/**
 * What a commune would pay a private vendor for the service on its own (yearly, same rates as a
 * plan): hosted mail around 6 € per mailbox a month, an identity service with its set-up fee,
 * backup with a minimum charge, a security watch contract; always above the pooled price.
 */
const standalone = (p: Partial<PlanPrice>): PlanPrice => ({ annualFixedCents: 0, perUserCents: 0, perGbCents: 0, perInhabitantCents: 0, ...p });

/**
 * A catalog like those of French IT syndicates, with yearly prices in cents: per agent (a few
 * euros a month, stored ×12), per GB, or per inhabitant (cents a year), plus a fixed part.
 * Recipes name the provisioners that exist today; backup repositories and monitoring probes come
 * with their own provisioners.
 */
export const DEMO_CATALOG: SeedOffering[] = [
  {
    slug: 'messagerie', kind: 'application', nameFr: 'Messagerie collaborative', nameEn: 'Collaborative mail',
    descriptionFr: 'Courriel, agendas partagés et carnets d’adresses pour les agents et les élus, hébergés par le syndicat en France.',
    descriptionEn: 'Mail, shared calendars and address books for staff and elected officials, hosted by the syndicate in France.',
    requiresApproval: false, isDefault: false,
    standalonePrice: standalone({ perUserCents: 7_200 }),
    recipe: [{ key: 'sso', kind: 'oidc-client' }, { key: 'endpoint', kind: 'app-endpoint' }],
    plans: [
      { code: 'standard', nameFr: 'Standard (10 Go par boîte)', nameEn: 'Standard (10 GB per mailbox)', prices: [price(SINCE, { perUserCents: 3_000 }), price('2027-01-01', { perUserCents: 3_240 })] },
      { code: 'etendue', nameFr: 'Étendue (50 Go par boîte)', nameEn: 'Extended (50 GB per mailbox)', prices: [price(SINCE, { perUserCents: 5_400 })] },
    ],
  },
  {
    slug: 'fichiers', kind: 'application', nameFr: 'Cloud de fichiers', nameEn: 'File cloud',
    descriptionFr: 'Partage et synchronisation de documents entre services et avec les partenaires, avec édition en ligne.',
    descriptionEn: 'Document sharing and sync between departments and with partners, with online editing.',
    requiresApproval: true, isDefault: false,
    recipe: [{ key: 'database', kind: 'postgres-database' }, { key: 'sso', kind: 'oidc-client' }, { key: 'endpoint', kind: 'app-endpoint' }],
    plans: [
      { code: 'essentiel', nameFr: 'Essentiel', nameEn: 'Essential', prices: [price(SINCE, { perUserCents: 2_400, perGbCents: 120 })] },
    ],
  },
  {
    slug: 'ged', kind: 'application', nameFr: 'Gestion électronique des documents', nameEn: 'Document management',
    descriptionFr: 'Courriers, délibérations et arrêtés classés, signés et archivés selon les règles des archives publiques.',
    descriptionEn: 'Mail, council decisions and orders filed, signed and archived under public-records rules.',
    requiresApproval: true, isDefault: false,
    recipe: [{ key: 'database', kind: 'postgres-database' }, { key: 'sso', kind: 'oidc-client' }, { key: 'endpoint', kind: 'app-endpoint' }],
    plans: [
      { code: 'commune', nameFr: 'Commune', nameEn: 'Municipality', prices: [price(SINCE, { annualFixedCents: 60_000, perInhabitantCents: 5 })] },
    ],
  },
  {
    slug: 'site-web', kind: 'application', nameFr: 'Site internet de la commune', nameEn: 'Municipal website',
    descriptionFr: 'Un site accessible (RGAA), mis à jour par vos agents, avec agenda, actualités et démarches en ligne.',
    descriptionEn: 'An accessible website your staff update, with events, news and online procedures.',
    requiresApproval: false, isDefault: false,
    recipe: [{ key: 'database', kind: 'postgres-database' }, { key: 'endpoint', kind: 'app-endpoint' }],
    plans: [
      { code: 'standard', nameFr: 'Standard', nameEn: 'Standard', prices: [price(SINCE, { annualFixedCents: 30_000, perInhabitantCents: 12 })] },
    ],
  },
  {
    slug: 'sso', kind: 'identity', nameFr: 'Authentification unique territoriale', nameEn: 'Territorial single sign-on',
    descriptionFr: 'Un seul compte par agent et par élu pour tous les services du syndicat, avec double authentification.',
    descriptionEn: 'One account per staff member and elected official for every syndicate service, with two-factor authentication.',
    requiresApproval: false, isDefault: true, recipe: [],
    standalonePrice: standalone({ annualFixedCents: 50_000, perUserCents: 1_800 }),
    plans: [
      { code: 'inclus', nameFr: 'Inclus', nameEn: 'Included', prices: [price(SINCE, { perUserCents: 600 })] },
    ],
  },
  {
    slug: 'sauvegarde', kind: 'backup', nameFr: 'Sauvegarde externalisée', nameEn: 'Off-site backup',
    descriptionFr: 'Copies chiffrées et hors ligne des serveurs et postes de la mairie, restaurables en cas de rançongiciel.',
    descriptionEn: 'Encrypted, offline copies of town-hall servers and workstations, restorable after ransomware.',
    requiresApproval: false, isDefault: true, recipe: [],
    standalonePrice: standalone({ annualFixedCents: 90_000, perGbCents: 60 }),
    plans: [
      { code: 'standard', nameFr: 'Standard (30 jours de rétention)', nameEn: 'Standard (30-day retention)', prices: [price(SINCE, { annualFixedCents: 12_000, perGbCents: 24 })] },
    ],
  },
  {
    slug: 'cybersurveillance', kind: 'security', nameFr: 'Supervision de cybersécurité', nameEn: 'Cybersecurity monitoring',
    descriptionFr: 'Surveillance des sites exposés, des fuites d’identifiants et des vulnérabilités, avec alertes au DSI.',
    descriptionEn: 'Watch over exposed sites, leaked credentials and vulnerabilities, with alerts to the IT lead.',
    requiresApproval: false, isDefault: false, recipe: [],
    standalonePrice: standalone({ annualFixedCents: 240_000, perInhabitantCents: 20 }),
    plans: [
      { code: 'commune', nameFr: 'Commune', nameEn: 'Municipality', prices: [price(SINCE, { annualFixedCents: 20_000, perInhabitantCents: 8 })] },
    ],
  },
  {
    slug: 'mfa-renforcee', kind: 'security', nameFr: 'MFA renforcée', nameEn: 'Reinforced MFA',
    descriptionFr: 'Clés de sécurité FIDO2 et passkeys pour les comptes sensibles (élus, finances, administrateurs).',
    descriptionEn: 'FIDO2 security keys and passkeys for sensitive accounts (elected officials, finance, administrators).',
    requiresApproval: true, isDefault: false, recipe: [],
    standalonePrice: standalone({ perUserCents: 3_600 }),
    plans: [
      { code: 'par-compte', nameFr: 'Par compte protégé', nameEn: 'Per protected account', prices: [price(SINCE, { perUserCents: 1_200 })] },
    ],
  },
];

/** Loads a catalog into a syndicate; idempotent (an offering, plan or dated price that exists is left as it is). */
export async function seedCatalog(db: Db | Tx, syndicateId: string, catalog: SeedOffering[] = DEMO_CATALOG): Promise<void> {
  for (const o of catalog) {
    const { plans, recipe, standalonePrice, ...values } = o;
    await db.insertInto('offerings').values({ syndicateId, ...values, recipe: JSON.stringify(recipe), standalonePrice: standalonePrice ? JSON.stringify(standalonePrice) : null })
      .onConflict((oc) => oc.columns(['syndicateId', 'slug']).doNothing()).execute();
    const offering = await db.selectFrom('offerings').select('id').where('syndicateId', '=', syndicateId).where('slug', '=', o.slug).executeTakeFirstOrThrow();
    // A catalog seeded before standalone prices existed gets them; one an administrator set is kept.
    if (standalonePrice) {
      await db.updateTable('offerings').set({ standalonePrice: JSON.stringify(standalonePrice) }).where('id', '=', offering.id).where('standalonePrice', 'is', null).execute();
    }
    for (const p of plans) {
      await db.insertInto('offeringPlans').values({ syndicateId, offeringId: offering.id, code: p.code, nameFr: p.nameFr, nameEn: p.nameEn })
        .onConflict((oc) => oc.columns(['offeringId', 'code']).doNothing()).execute();
      const plan = await db.selectFrom('offeringPlans').select('id').where('offeringId', '=', offering.id).where('code', '=', p.code).executeTakeFirstOrThrow();
      for (const { from, ...amounts } of p.prices) {
        await db.insertInto('planPrices').values({ syndicateId, planId: plan.id, effectiveFrom: from, ...amounts })
          .onConflict((oc) => oc.columns(['planId', 'effectiveFrom']).doNothing()).execute();
      }
    }
  }
}
