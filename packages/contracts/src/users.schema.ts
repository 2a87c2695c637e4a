import { z } from 'zod';
import { emailSchema } from './auth.schema.ts';

const uuid = (what: string) => z.uuid({ error: `L'identifiant ${what} est invalide.` });
const memberId = uuid('de la commune');

/** The roles a DSI gives within the commune (shared/DESIGN.md). */
export const communeRoleSchema = z.enum(['commune_dsi', 'commune_agent', 'commune_elected'], {
  error: 'Choisissez un rôle : DSI, agent ou élu(e).',
});

export const usersListInput = z.object({
  memberId,
  search: z.string().trim().max(100, { error: 'La recherche est trop longue (100 caractères au plus).' }).optional(),
});

export const usersInviteInput = z.object({
  memberId,
  email: emailSchema,
  displayName: z.string({ error: 'Indiquez le nom de la personne.' }).trim().min(2, { error: 'Indiquez le nom de la personne (2 caractères au moins).' })
    .max(120, { error: 'Le nom est trop long (120 caractères au plus).' }),
  role: communeRoleSchema,
});

export const userRefInput = z.object({ memberId, userId: uuid("de l'utilisateur") });
export const userRolesInput = userRefInput.extend({
  roles: z.array(communeRoleSchema).min(1, { error: 'Choisissez au moins un rôle (ou désactivez le compte).' }).max(3),
});

export const sessionRefInput = z.object({ sessionId: uuid('de la session') });

// ————— Second factors —————

const code = z.string({ error: 'Saisissez le code.' }).trim().min(1, { error: 'Saisissez le code.' }).max(32, { error: 'Ce code est trop long.' });
export const secondFactorInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('totp'), code: code.regex(/^\d{3}\s?\d{3}$/, { error: 'Le code de votre application a 6 chiffres.' }) }),
  z.object({ kind: z.literal('recovery'), code }),
], { error: 'Indiquez le type de code : application ou code de secours.' });

export const totpConfirmInput = z.object({
  factorId: uuid("de l'ajout en cours"),
  code: code.regex(/^\d{3}\s?\d{3}$/, { error: 'Le code de votre application a 6 chiffres.' }),
});

export const factorLabelSchema = z.string().trim().min(1, { error: 'Donnez un nom à cette clé (par exemple « Clé USB bleue »).' })
  .max(80, { error: 'Ce nom est trop long (80 caractères au plus).' });

/** A WebAuthn response as the browser library gives it; its content is checked by @simplewebauthn/server. */
const credentialJson = z.object({ id: z.string().min(1).max(1500), rawId: z.string().max(1500), type: z.literal('public-key'), response: z.record(z.string(), z.unknown()) })
  .passthrough();
export const webAuthnRegisterInput = z.object({ response: credentialJson, label: factorLabelSchema });
export const webAuthnVerifyInput = z.object({ response: credentialJson });
export const factorRefInput = z.object({ factorId: uuid('du facteur') });

// ————— Member settings —————

export const mfaPolicySchema = z.enum(['dsi', 'everyone'], { error: 'Choisissez « DSI et administrateurs » ou « tout le monde ».' });
export const mfaPolicyInput = z.object({ memberId, policy: mfaPolicySchema });

/** WCAG 2 contrast ratio of a colour against white (text in that colour, or white text on it). */
export function contrastOnWhite(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return 1.05 / (luminance + 0.05);
}

export const brandingInput = z.object({
  memberId,
  brandName: z.string().trim().max(80, { error: 'Le nom affiché est trop long (80 caractères au plus).' })
    .transform((v) => v || null).nullable(),
  brandColor: z.string().trim().toLowerCase().regex(/^#[0-9a-f]{6}$/, { error: 'La couleur s’écrit #rrggbb, par exemple #1d4e89.' })
    .refine((v) => contrastOnWhite(v) >= 4.5, { error: 'Cette couleur est trop claire : le texte blanc posé dessus serait illisible (contraste 4,5:1 au moins).' })
    .nullable(),
  /** base64 of a PNG, JPEG or WebP image; null removes the logo; absent keeps it */
  logo: z.object({
    type: z.enum(['image/png', 'image/jpeg', 'image/webp'], { error: 'Le logo doit être une image PNG, JPEG ou WebP.' }),
    base64: z.string().max(270_000, { error: 'Le logo est trop lourd (200 Ko au plus).' }),
  }).nullable().optional(),
});
