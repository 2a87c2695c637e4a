import net from 'node:net';
import tls from 'node:tls';
import {
  Client, Filter, FilterParser, InsufficientAccessError, InvalidCredentialsError as LdapInvalidCredentialsError, NoSuchObjectError,
  SizeLimitExceededError, type Entry,
} from 'ldapts';
import { DEFAULT_DIRECTORY_ROLE, type DirectoryCheck, type DirectoryRole, type DirectorySecurity, type RoleMapping } from '@mutualis/contracts';

/** Everything needed to talk to one directory, its service password in clear (never stored so). */
export interface DirectorySettings {
  url: string;
  security: DirectorySecurity;
  caCertificate: string | null;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  userFilter: string;
  loginAttribute: string;
  emailAttribute: string;
  nameAttribute: string;
  groupAttribute: string | null;
  roleMappings: RoleMapping[];
}

/** What the directory says about a person, mapped to what Mutualis keeps. */
export interface DirectoryEntry {
  dn: string;
  email: string | null;
  displayName: string | null;
  groups: string[];
  roles: DirectoryRole[];
}

export const CONNECT_TIMEOUT_MS = 5_000;
const OPERATION_TIMEOUT_MS = 10_000;
/** How many entries "Tester la connexion" counts at most under the base DN. */
export const COUNT_LIMIT = 1_000;

/** The directory could not be asked (down, unreachable, refused our service account, TLS failed): not the person's fault. */
export class DirectoryFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryFailure';
  }
}

/**
 * RFC 4515 escaping of a value put in a search filter: `*`, `(`, `)`, `\` and NUL become `\2a`,
 * `\28`, `\29`, `\5c`, `\00`, so what a person types can never change the filter's structure.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The search filter for one person: the configured filter AND login attribute = value (escaped). */
export function personFilter(s: Pick<DirectorySettings, 'userFilter' | 'loginAttribute'>, login: string): string {
  return `(&${s.userFilter}(${s.loginAttribute}=${escapeFilterValue(login)}))`;
}

/** DNs compare without case and without spaces around separators (`CN=Élus, OU=Groupes` = `cn=élus,ou=groupes`). */
export function normaliseDn(dn: string): string {
  return dn.split(',').map((rdn) => rdn.split('=').map((p) => p.trim()).join('=')).join(',').toLowerCase();
}

/** The commune roles a person's groups give (every role they map to), or the default role. */
export function rolesFromGroups(groups: readonly string[], mappings: readonly RoleMapping[]): DirectoryRole[] {
  const mine = new Set(groups.map(normaliseDn));
  const roles = new Set(mappings.filter((m) => mine.has(normaliseDn(m.groupDn))).map((m) => m.role));
  return roles.size > 0 ? [...roles].sort() : [DEFAULT_DIRECTORY_ROLE];
}

export function hostAndPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: u.port ? Number(u.port) : u.protocol === 'ldaps:' ? 636 : 389 };
}

function tlsOptions(s: Pick<DirectorySettings, 'url' | 'caCertificate'>): tls.ConnectionOptions {
  const { host } = hostAndPort(s.url);
  return {
    ...(s.caCertificate ? { ca: [s.caCertificate] } : {}),
    // SNI is for names only; an IP address is checked against the certificate's IP entries.
    ...(net.isIP(host) ? {} : { servername: host }),
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  };
}

/** A client on the directory, TLS set up as configured (StartTLS done before anything else). */
async function connect(s: DirectorySettings): Promise<Client> {
  const client = new Client({
    url: s.url, connectTimeout: CONNECT_TIMEOUT_MS, timeout: OPERATION_TIMEOUT_MS, strictDN: false,
    ...(s.security === 'ldaps' ? { tlsOptions: tlsOptions(s) } : {}),
  });
  if (s.security === 'starttls') {
    try {
      await client.startTLS(tlsOptions(s));
    } catch (error) {
      await client.unbind().catch(() => {});
      throw new DirectoryFailure(describeFailure(error, s), { cause: error });
    }
  }
  return client;
}

function firstString(entry: Entry, attribute: string | null): string | null {
  if (!attribute) return null;
  const values = valuesOf(entry, attribute);
  const v = values[0]?.trim();
  return v ? v : null;
}

function valuesOf(entry: Entry, attribute: string): string[] {
  // Servers answer with their own spelling of the name (mail, Mail, displayname…).
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  if (!key) return [];
  const raw = entry[key];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function toEntry(s: DirectorySettings, entry: Entry): DirectoryEntry {
  const groups = s.groupAttribute ? valuesOf(entry, s.groupAttribute) : [];
  return {
    dn: entry.dn,
    email: firstString(entry, s.emailAttribute)?.toLowerCase() ?? null,
    displayName: firstString(entry, s.nameAttribute)?.slice(0, 200) ?? null,
    groups,
    roles: rolesFromGroups(groups, s.roleMappings),
  };
}

const attributesOf = (s: DirectorySettings) => [s.loginAttribute, s.emailAttribute, s.nameAttribute, ...(s.groupAttribute ? [s.groupAttribute] : [])];

/** The one entry a login names, as the service account sees it; null when none or several match. */
async function findPerson(client: Client, s: DirectorySettings, login: string): Promise<Entry | null> {
  try {
    const { searchEntries } = await client.search(s.baseDn, { scope: 'sub', filter: personFilter(s, login), attributes: attributesOf(s), sizeLimit: 2 });
    return searchEntries.length === 1 ? searchEntries[0]! : null;
  } catch (error) {
    // Two entries or more for one login: ambiguous, so nobody signs in with it.
    if (error instanceof SizeLimitExceededError) return null;
    throw error;
  }
}

/**
 * Checks a person's password against the directory: the service account finds the one entry whose
 * login attribute is `login`, then a bind as that entry with `password` proves it. Returns the entry
 * (mapped attributes and roles), or null when the person is unknown, ambiguous or the password wrong.
 * Throws DirectoryFailure when the directory itself cannot be used.
 */
export async function verifyPerson(s: DirectorySettings, login: string, password: string): Promise<DirectoryEntry | null> {
  // An empty password would make an "unauthenticated bind", which many servers accept.
  if (password.length === 0 || login.length === 0) return null;
  const client = await connect(s);
  try {
    await serviceBind(client, s);
    let found: Entry | null;
    try {
      found = await findPerson(client, s, login);
    } catch (error) {
      throw new DirectoryFailure(describeFailure(error, s), { cause: error });
    }
    if (!found) return null;
    try {
      await client.bind(found.dn, password);
    } catch (error) {
      if (error instanceof LdapInvalidCredentialsError) return null;
      throw new DirectoryFailure(describeFailure(error, s), { cause: error });
    }
    return toEntry(s, found);
  } finally {
    await client.unbind().catch(() => {});
  }
}

async function serviceBind(client: Client, s: DirectorySettings): Promise<void> {
  // An empty password would be an "unauthenticated bind": refused by OpenLDAP, anonymous on AD.
  if (s.bindPassword === '') throw new DirectoryFailure(`Aucun mot de passe n'est enregistré pour le compte de service ${s.bindDn} : le responsable informatique doit l'indiquer.`);
  try {
    await client.bind(s.bindDn, s.bindPassword);
  } catch (error) {
    throw new DirectoryFailure(error instanceof LdapInvalidCredentialsError
      ? `L'annuaire refuse le compte de service ${s.bindDn} : DN ou mot de passe incorrect.`
      : describeFailure(error, s), { cause: error });
  }
}

/** A sentence a DSI can act on, for any error met while talking to the directory. */
export function describeFailure(error: unknown, s: Pick<DirectorySettings, 'url' | 'baseDn' | 'bindDn'>): string {
  const { host, port } = hostAndPort(s.url);
  const where = `${host}:${port}`;
  if (error instanceof DirectoryFailure) return error.message;
  if (error instanceof NoSuchObjectError) return `La base de recherche ${s.baseDn} n'existe pas dans l'annuaire (ou le compte de service ne la voit pas).`;
  if (error instanceof InsufficientAccessError) return `Le compte de service ${s.bindDn} n'a pas le droit de lire ${s.baseDn}.`;
  if (error instanceof LdapInvalidCredentialsError) return `L'annuaire refuse le compte de service ${s.bindDn} : DN ou mot de passe incorrect.`;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED': return `Le serveur ${where} refuse la connexion : aucun annuaire n'écoute à cette adresse.`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `Le nom ${host} est inconnu : vérifiez l'adresse du serveur.`;
    case 'ETIMEDOUT': return `Le serveur ${where} ne répond pas (délai dépassé) : un pare-feu bloque peut-être la connexion.`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `Le serveur ${where} est injoignable depuis la plateforme.`;
    case 'ECONNRESET': case 'EPIPE': return `Le serveur ${where} a coupé la connexion : vérifiez le port et le mode de chiffrement (ldaps:// ou StartTLS).`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT': case 'SELF_SIGNED_CERT_IN_CHAIN': case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE': case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY': case 'UNABLE_TO_GET_ISSUER_CERT':
      return `Le certificat du serveur ${where} n'est pas reconnu : collez le certificat (PEM) de l'autorité qui l'a signé.`;
    case 'CERT_HAS_EXPIRED': return `Le certificat du serveur ${where} a expiré.`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID': return `Le certificat du serveur ne porte pas le nom ${host} : utilisez le nom qui figure sur le certificat.`;
    default: break;
  }
  if (/timeout|timed out/i.test(message)) return `Le serveur ${where} ne répond pas (délai dépassé) : un pare-feu bloque peut-être la connexion.`;
  if (/startTLS|unsupported extended operation|protocol ?error/i.test(message)) return `Le serveur ${where} n'accepte pas StartTLS : choisissez LDAPS ou aucun chiffrement.`;
  if (/tls|ssl|certificate|handshake|wrong version/i.test(message)) return `La connexion chiffrée avec ${where} a échoué (${message}).`;
  return `L'annuaire ${where} a répondu par une erreur : ${message}.`;
}

/** A TCP connection to the server, nothing more: does anything listen there? */
function reach(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    socket.once('connect', () => { socket.destroy(); resolve(); });
    socket.once('timeout', () => { socket.destroy(); reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })); });
    socket.once('error', (e) => { socket.destroy(); reject(e); });
  });
}

/** The TLS handshake of an ldaps:// server, certificate checked; what it presented. */
function tlsHandshake(s: DirectorySettings): Promise<{ protocol: string | null; subject: string; validTo: string }> {
  const { host, port } = hostAndPort(s.url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, timeout: CONNECT_TIMEOUT_MS, ...tlsOptions(s) });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const result = { protocol: socket.getProtocol(), subject: String(cert.subject?.CN ?? host), validTo: cert.valid_to };
      socket.destroy();
      resolve(result);
    });
    socket.once('timeout', () => { socket.destroy(); reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })); });
    socket.once('error', (e) => { socket.destroy(); reject(e); });
  });
}

const ROLE_LABEL: Record<DirectoryRole, string> = { commune_agent: 'agent', commune_elected: 'élu', commune_dsi: 'DSI' };
const plural = (n: number, one: string, many: string) => `${n.toLocaleString('fr-FR')} ${n > 1 ? many : one}`;

/**
 * "Tester la connexion": each step a DSI would check by hand, in order, stopping at the first that
 * fails — the server answers, TLS holds (certificate verified), the service account binds, the base
 * DN is readable (and how many people the filter finds), and, given an e-mail, that person's entry
 * with the attributes and role Mutualis would take from it.
 */
export async function checkDirectory(s: DirectorySettings, options: { email?: string; emailDomains: readonly string[] }): Promise<DirectoryCheck[]> {
  const checks: DirectoryCheck[] = [];
  const fail = (key: DirectoryCheck['key'], message: string) => { checks.push({ key, ok: false, message }); return checks; };
  const { host, port } = hostAndPort(s.url);

  try {
    await reach(host, port);
  } catch (error) {
    return fail('reach', describeFailure(error, s));
  }
  checks.push({ key: 'reach', ok: true, message: `Le serveur ${host}:${port} répond.${s.security === 'none' ? " La connexion n'est pas chiffrée : réservez ce choix à un réseau de confiance." : ''}` });

  if (s.security === 'ldaps') {
    try {
      const t = await tlsHandshake(s);
      checks.push({ key: 'tls', ok: true, message: `Connexion chiffrée (${t.protocol ?? 'TLS'}) ; certificat de ${t.subject} vérifié, valable jusqu'au ${new Date(t.validTo).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })}.` });
    } catch (error) {
      return fail('tls', describeFailure(error, s));
    }
  }
  let client: Client;
  try {
    client = await connect(s);
  } catch (error) {
    return fail('tls', describeFailure(error, s));
  }
  try {
    if (s.security === 'starttls') checks.push({ key: 'tls', ok: true, message: 'StartTLS accepté : la connexion est chiffrée et le certificat du serveur vérifié.' });
    try {
      await serviceBind(client, s);
    } catch (error) {
      return fail('bind', describeFailure(error, s));
    }
    checks.push({ key: 'bind', ok: true, message: `Le compte de service ${s.bindDn} est accepté.` });

    let count: number;
    let more = false;
    try {
      FilterParser.parseString(s.userFilter);
    } catch {
      return fail('base', `Le filtre ${s.userFilter} n'est pas un filtre LDAP valide.`);
    }
    try {
      await client.search(s.baseDn, { scope: 'base', attributes: ['1.1'] });
      const filter = `(&${s.userFilter}(${s.loginAttribute}=*))`;
      try {
        count = (await client.search(s.baseDn, { scope: 'sub', filter, attributes: ['1.1'], sizeLimit: COUNT_LIMIT })).searchEntries.length;
      } catch (error) {
        if (!(error instanceof SizeLimitExceededError)) throw error;
        count = COUNT_LIMIT;
        more = true;
      }
    } catch (error) {
      return fail('base', describeFailure(error, s));
    }
    if (count === 0) {
      return fail('base', `La base ${s.baseDn} est lisible, mais aucune fiche ne correspond au filtre ${s.userFilter} avec un attribut ${s.loginAttribute} : personne ne pourrait se connecter.`);
    }
    checks.push({ key: 'base', ok: true, message: `La base ${s.baseDn} est lisible : ${more ? 'plus de ' : ''}${plural(count, 'fiche correspond', 'fiches correspondent')} au filtre ${s.userFilter} (attribut de connexion ${s.loginAttribute}).` });

    if (options.email) {
      let entry: Entry | null;
      try {
        entry = await findPerson(client, s, options.email);
      } catch (error) {
        return fail('entry', describeFailure(error, s));
      }
      if (!entry) return fail('entry', `Aucune fiche (ou plusieurs) ne correspond à ${options.email} (attribut ${s.loginAttribute}) sous ${s.baseDn}.`);
      const e = toEntry(s, entry);
      const email = e.email ?? options.email;
      const domain = email.split('@')[1] ?? '';
      const parts = [
        `Fiche trouvée : ${e.dn}.`,
        `E-mail : ${e.email ?? `(attribut ${s.emailAttribute} absent : ${options.email} sera utilisé)`}.`,
        `Nom affiché : ${e.displayName ?? `(attribut ${s.nameAttribute} absent)`}.`,
        ...(s.groupAttribute ? [`Groupes : ${plural(e.groups.length, 'groupe', 'groupes')}.`] : []),
        `Rôle dans la commune : ${e.roles.map((r) => ROLE_LABEL[r]).join(', ')}.`,
      ];
      if (!options.emailDomains.includes(domain)) {
        return fail('entry', `${parts.join(' ')} Mais le domaine ${domain} n'est pas routé vers cet annuaire : ajoutez-le aux domaines pour que cette personne puisse se connecter.`);
      }
      checks.push({ key: 'entry', ok: true, message: parts.join(' ') });
    }
    return checks;
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** Checks that a filter parses (ldapts' parser, as the search will). */
export function filterParses(filter: string): boolean {
  try {
    return FilterParser.parseString(filter) instanceof Filter;
  } catch {
    return false;
  }
}
