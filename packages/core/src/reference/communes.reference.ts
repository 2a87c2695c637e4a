import { createRequire } from 'node:module';

/** A current commune of the official reference (@etalab/decoupage-administratif). */
export interface ReferenceCommune {
  inseeCode: string;
  name: string;
  /** null for the 94 overseas communes without one */
  siren: string | null;
  population: number;
  departement: string;
  departementName: string;
  postalCodes: string[];
  epci: { siren: string; name: string } | null;
}

/** An EPCI (intercommunal body) of the official reference, with its member communes. */
export interface ReferenceEpci {
  siren: string;
  name: string;
  /** CC, CA, CU, METRO… */
  epciType: string;
  population: number;
  memberInseeCodes: string[];
}

interface RawCommune { code: string; nom: string; type: string; siren?: string; population?: number; departement?: string; codesPostaux?: string[] }
interface RawEpci { code: string; nom: string; type: string; populationTotale?: number; membres: Array<{ code: string }> }
interface RawDepartement { code: string; nom: string }

let communes: Map<string, ReferenceCommune> | undefined;
let epcis: Map<string, ReferenceEpci> | undefined;

function load(): void {
  if (communes && epcis) return;
  const require = createRequire(import.meta.url);
  const rawCommunes = require('@etalab/decoupage-administratif/data/communes.json') as RawCommune[];
  const rawEpcis = require('@etalab/decoupage-administratif/data/epci.json') as RawEpci[];
  const departements = new Map((require('@etalab/decoupage-administratif/data/departements.json') as RawDepartement[]).map((d) => [d.code, d.nom]));
  const epciOf = new Map<string, { siren: string; name: string }>();
  epcis = new Map();
  for (const e of rawEpcis) {
    epcis.set(e.code, { siren: e.code, name: e.nom, epciType: e.type, population: e.populationTotale ?? 0, memberInseeCodes: e.membres.map((m) => m.code) });
    for (const m of e.membres) epciOf.set(m.code, { siren: e.code, name: e.nom });
  }
  communes = new Map();
  for (const c of rawCommunes) {
    if (c.type !== 'commune-actuelle') continue;
    communes.set(c.code, {
      inseeCode: c.code, name: c.nom, siren: c.siren ?? null, population: c.population ?? 0,
      departement: c.departement ?? '', departementName: departements.get(c.departement ?? '') ?? '',
      postalCodes: c.codesPostaux ?? [], epci: epciOf.get(c.code) ?? null,
    });
  }
}

/** The 34,969 current communes (not delegated communes or districts), by INSEE code; loaded once. */
export function referenceCommunes(): Map<string, ReferenceCommune> {
  load();
  return communes!;
}

/** The 1,255 EPCIs, by SIREN. */
export function referenceEpcis(): Map<string, ReferenceEpci> {
  load();
  return epcis!;
}

export function referenceCommune(inseeCode: string): ReferenceCommune {
  const commune = referenceCommunes().get(inseeCode);
  if (!commune) throw new Error(`INSEE code ${inseeCode} is not a current commune of the official reference.`);
  return commune;
}
