import { normaliseSearch } from '../members/member.service.ts';
import { referenceCommunes, referenceEpcis, type ReferenceCommune, type ReferenceEpci } from './communes.reference.ts';

export type ReferenceHit =
  | ({ kind: 'commune' } & ReferenceCommune)
  | ({ kind: 'epci'; inseeCode: null; departement: null; departementName: null; postalCodes: []; epci: null } & Omit<ReferenceEpci, 'memberInseeCodes'> & { memberCount: number });

interface Entry { hit: ReferenceHit; name: string; tokens: string[]; population: number }

let index: Entry[] | undefined;

/** Abbreviations people type for the words of French place names. */
const ABBREVIATIONS: Record<string, string> = { st: 'saint', ste: 'sainte', sts: 'saints', stes: 'saintes', cc: 'communaute de communes', ca: 'communaute d agglomeration' };

function expand(normalised: string): string[] {
  return normalised.split(' ').filter(Boolean).flatMap((t) => (ABBREVIATIONS[t] ?? t).split(' '));
}

function buildIndex(): Entry[] {
  const entries: Entry[] = [];
  for (const c of referenceCommunes().values()) {
    const name = normaliseSearch(c.name);
    entries.push({ hit: { kind: 'commune', ...c }, name, tokens: name.split(' '), population: c.population });
  }
  for (const e of referenceEpcis().values()) {
    const name = normaliseSearch(e.name);
    const { memberInseeCodes, ...rest } = e;
    entries.push({
      hit: { kind: 'epci', ...rest, memberCount: memberInseeCodes.length, inseeCode: null, departement: null, departementName: null, postalCodes: [], epci: null },
      name, tokens: expand(name), population: e.population,
    });
  }
  return entries;
}

/**
 * Searches the official reference (34,969 communes, 1,255 EPCIs) by name — accents, case and
 * punctuation ignored, "st" finding "Saint" — by INSEE code, by postal code or by SIREN.
 * Best first: exact name, then names starting with the query, then names containing every word
 * of it; ties by population, largest first.
 */
export function searchReference(query: string, limit = 20): ReferenceHit[] {
  index ??= buildIndex();
  const q = normaliseSearch(query);
  if (!q) return [];
  if (/^\d[\dab]{1,8}$/.test(q)) return searchByCode(q.toUpperCase(), limit);
  const words = expand(q);
  const phrase = words.join(' ');
  const scored: Array<{ entry: Entry; score: number }> = [];
  for (const entry of index) {
    let score: number;
    if (entry.name === phrase) score = 3;
    else if (entry.name.startsWith(phrase)) score = 2;
    else if (words.every((w) => entry.tokens.some((t) => t.startsWith(w)))) score = 1;
    else continue;
    scored.push({ entry, score });
  }
  scored.sort((a, b) => b.score - a.score || b.entry.population - a.entry.population);
  return scored.slice(0, limit).map((s) => s.entry.hit);
}

function searchByCode(code: string, limit: number): ReferenceHit[] {
  const out: Entry[] = [];
  for (const entry of index!) {
    const h = entry.hit;
    const match = h.kind === 'commune'
      ? h.inseeCode.startsWith(code) || h.postalCodes.some((p) => p.startsWith(code)) || (code.length === 9 && h.siren === code)
      : code.length === 9 && h.siren === code;
    if (match) out.push(entry);
  }
  // Exact codes first (an INSEE code or postal code typed in full), then by population.
  const exact = (e: Entry) => (e.hit.inseeCode === code || e.hit.postalCodes.includes(code as never) || e.hit.siren === code ? 1 : 0);
  out.sort((a, b) => exact(b) - exact(a) || b.population - a.population);
  return out.slice(0, limit).map((e) => e.hit);
}
