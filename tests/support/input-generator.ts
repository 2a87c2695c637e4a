import { z } from 'zod';

/** The values the generator puts where a schema lets the caller choose. */
export interface Probe {
  /** Every uuid-format string: the id of something the caller must not reach. */
  uuid: string;
  /** Free text (a search, a name): e.g. the name of a member the caller must not see. */
  text: string;
  /** Tried in order for strings with a pattern (INSEE code, SIREN…); the first that fits is used. */
  patterned: string[];
  /** For e-mail fields. */
  email: string;
}

/** The generator met a schema it cannot build a valid value for: the caller must fail, not skip. */
export class UnsupportedSchema extends Error {}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
}

type Mode = { full: boolean; pick: number };

interface ZodLike { safeParse(value: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } }

function isZod(parser: unknown): parser is z.ZodType & ZodLike {
  return typeof parser === 'object' && parser !== null && '_zod' in parser && typeof (parser as Partial<ZodLike>).safeParse === 'function';
}

/**
 * Valid inputs for a procedure's input parsers (zod 4, read through `z.toJSONSchema`): the minimal
 * one (required fields only), then each optional field alone (every value of an enum), then all
 * fields. Every variant is checked with the parser itself; anything the generator cannot build
 * throws UnsupportedSchema.
 */
export function inputVariants(parsers: readonly unknown[], probe: Probe): unknown[] {
  if (parsers.length === 0) return [undefined];
  const schemas = parsers.map((parser) => {
    if (!isZod(parser)) throw new UnsupportedSchema('its input parser is not a zod 4 schema');
    try {
      return z.toJSONSchema(parser, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
    } catch (error) {
      throw new UnsupportedSchema(`its input has no JSON Schema: ${(error as Error).message}`);
    }
  });
  const perParser = schemas.map((schema) => variantsOf(schema, probe));
  // Several .input() calls merge their objects: combine variant i of each (the minimal ones first).
  const count = Math.max(...perParser.map((v) => v.length));
  const variants = Array.from({ length: count }, (_, i) => {
    const parts = perParser.map((v) => v[Math.min(i, v.length - 1)]);
    return parts.length === 1 ? parts[0] : Object.assign({}, ...parts);
  });
  for (const value of variants) {
    for (const parser of parsers as ZodLike[]) {
      const result = parser.safeParse(value);
      if (!result.success) {
        const issues = result.error!.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
        throw new UnsupportedSchema(`the generated input ${JSON.stringify(value)} is refused by its own parser (${issues})`);
      }
    }
  }
  return dedupe(variants);
}

function variantsOf(schema: JsonSchema, probe: Probe): unknown[] {
  const minimal = build(schema, probe, { full: false, pick: 0 }, 'input');
  if (!schema.properties) return [minimal, build(schema, probe, { full: true, pick: 0 }, 'input')];
  const required = new Set(schema.required ?? []);
  const variants: unknown[] = [minimal];
  for (const [key, property] of Object.entries(schema.properties)) {
    if (required.has(key)) continue;
    const choices = Math.max(1, enumOf(property)?.length ?? 1);
    for (let pick = 0; pick < choices; pick++) {
      variants.push({ ...(minimal as object), [key]: build(property, probe, { full: true, pick }, key) });
    }
  }
  variants.push(build(schema, probe, { full: true, pick: 0 }, 'input'));
  return variants;
}

function enumOf(schema: JsonSchema): unknown[] | undefined {
  return schema.enum ?? schema.anyOf?.find((s) => s.enum)?.enum;
}

function build(schema: JsonSchema, probe: Probe, mode: Mode, key: string): unknown {
  if ('const' in schema) return schema.const;
  if (schema.enum) return schema.enum[mode.pick % schema.enum.length];
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const nonNull = branches.filter((b) => b.type !== 'null');
    if (!mode.full && nonNull.length < branches.length) return null;
    if (nonNull.length === 0) return null;
    return build(nonNull[0]!, probe, mode, key);
  }
  if (schema.allOf) {
    if (schema.allOf.length !== 1) throw new UnsupportedSchema(`"${key}" is an intersection (allOf)`);
    return build(schema.allOf[0]!, probe, mode, key);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = new Set(schema.required ?? []);
      for (const [k, property] of Object.entries(schema.properties ?? {})) {
        if (mode.full || required.has(k)) out[k] = build(property, probe, mode, k);
      }
      return out;
    }
    case 'array': {
      const n = Math.max(schema.minItems ?? 0, mode.full ? 1 : 0);
      if (n > 0 && !schema.items) throw new UnsupportedSchema(`"${key}" is an array without an item schema`);
      return Array.from({ length: n }, () => build(schema.items!, probe, mode, key));
    }
    case 'string': return stringFor(schema, probe, mode, key);
    case 'integer':
    case 'number': return numberFor(schema, mode, type === 'integer');
    case 'boolean': return mode.full;
    case 'null': return null;
    default: throw new UnsupportedSchema(`"${key}" has a schema the generator does not know: ${JSON.stringify(schema)}`);
  }
}

function stringFor(schema: JsonSchema, probe: Probe, mode: Mode, key: string): string {
  const fits = (s: string) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity)
    && (!schema.pattern || new RegExp(schema.pattern, 'u').test(s));
  if (schema.format === 'uuid') return probe.uuid;
  // A field named like an e-mail gets the probe's e-mail, unless its pattern says otherwise (emailDomains, emailAttribute).
  if (schema.format === 'email' || (/e-?mail/i.test(key) && fits(probe.email))) return probe.email;
  // OpenID scopes: the one every provider has.
  if (/scope/i.test(key) && fits('openid')) return 'openid';
  // An issuer or other address without a pattern: an https URL (the parser checks the rest).
  if (!schema.pattern && /(issuer|url)$/i.test(key) && fits('https://idp.example.org')) return 'https://idp.example.org';
  if (schema.format === 'date-time') return new Date().toISOString();
  if (schema.format === 'date') return new Date().toISOString().slice(0, 10);
  if (schema.format) throw new UnsupportedSchema(`"${key}" has the string format ${schema.format}`);
  if (schema.pattern) {
    // Then plain values of the common shapes: a day (far ahead, so "today or later" holds), a slug or key,
    // a six-digit code, a dark colour, a domain, and a directory's settings (an LDAP URL on a loopback port
    // where nothing listens, a DN, a filter).
    const found = [...probe.patterned, probe.text, 'x', '2099-01-01', 'abc', '123456', '#1d4e89', 'x.example', 'ldap://127.0.0.1:9', 'cn=x,dc=example', '(objectClass=person)'].find(fits);
    if (found === undefined) throw new UnsupportedSchema(`"${key}" has the pattern ${schema.pattern}, which no probe value fits`);
    return found;
  }
  const base = mode.full ? probe.text : 'x';
  const padded = base.padEnd(schema.minLength ?? 1, 'x');
  return padded.slice(0, schema.maxLength ?? padded.length);
}

function numberFor(schema: JsonSchema, mode: Mode, integer: boolean): number {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : undefined);
  const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 0.5) : undefined);
  // The largest allowed value in the full variants: a page as big as possible shows the most rows.
  if (mode.full && high !== undefined) return high;
  return low ?? (high !== undefined ? Math.min(0, high) : 0);
}

function dedupe(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = JSON.stringify(v) ?? 'undefined';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
