import { z } from 'zod';

export const emailSchema = z
  .string({ error: 'Saisissez une adresse e-mail.' })
  .trim()
  .toLowerCase()
  .max(254, { error: "L'adresse e-mail est trop longue (254 caractères au plus)." })
  .pipe(z.email({ error: "Saisissez une adresse e-mail valide, par exemple prenom.nom@mairie.fr." }));

export const loginInput = z.object({
  email: emailSchema,
  password: z
    .string({ error: 'Saisissez votre mot de passe.' })
    .min(1, { error: 'Saisissez votre mot de passe.' })
    .max(1024, { error: 'Le mot de passe est trop long (1024 caractères au plus).' }),
});
export type LoginInput = z.infer<typeof loginInput>;

export const invitationTokenInput = z.object({
  token: z.string().min(20, { error: 'Ce lien d’invitation est incomplet : copiez-le en entier depuis le courriel.' }).max(100),
});

export const acceptInvitationInput = invitationTokenInput.extend({
  password: z.string({ error: 'Choisissez un mot de passe.' }).min(1, { error: 'Choisissez un mot de passe.' }).max(256, { error: 'Ce mot de passe est trop long (256 caractères au plus).' }),
});
