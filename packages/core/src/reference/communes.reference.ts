import { createRequire } from 'node:module';

/** A current commune of the official reference (@etalab/decoupage-administratif). */
export interface ReferenceCommune {
  inseeCode: string;
  name: string;
  /** null for the 94 overseas communes without one */
  siren: string | null;
  population: number;
  departement: string;
  postalCodes: string[];
}

interface RawCommune { code: string; nom: string; type: string; siren?: string; population?: number; departement?: string; codesPostaux?: string[] }

let cache: Map<string, ReferenceCommune> | undefined;

/** The 34,969 current communes (not delegated communes or districts), by INSEE code; loaded once. */
export function referenceCommunes(): Map<string, ReferenceCommune> {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const raw = require('@etalab/decoupage-administratif/data/communes.json') as RawCommune[];
  cache = new Map();
  for (const c of raw) {
    if (c.type !== 'commune-actuelle') continue;
    cache.set(c.code, {
      inseeCode: c.code, name: c.nom, siren: c.siren ?? null, population: c.population ?? 0,
      departement: c.departement ?? '', postalCodes: c.codesPostaux ?? [],
    });
  }
  return cache;
}

export function referenceCommune(inseeCode: string): ReferenceCommune {
  const commune = referenceCommunes().get(inseeCode);
  if (!commune) throw new Error(`INSEE code ${inseeCode} is not a current commune of the official reference.`);
  return commune;
}
