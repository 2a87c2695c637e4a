/** The platform's mails, in French (the product's language), plain text. */
export type MailTemplate =
  | { template: 'dsi-invitation'; params: { memberName: string; invitationId: string; expiresAt: string; role?: string } }
  | { template: 'member-onboarded'; params: { memberName: string; memberId: string } };

export interface RenderContext { origin: string; invitationLink: (invitationId: string) => string }

export function renderMail(mail: MailTemplate, ctx: RenderContext): { subject: string; text: string } {
  switch (mail.template) {
    case 'dsi-invitation': {
      const expires = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/Paris' }).format(new Date(mail.params.expiresAt));
      return {
        subject: `Invitation : espace ${mail.params.memberName} sur Mutualis`,
        text: [
          'Bonjour,',
          '',
          ...(!mail.params.role || mail.params.role === 'commune_dsi'
            ? [`Votre commune, ${mail.params.memberName}, rejoint les services numériques mutualisés du syndicat.`,
              'Vous êtes désigné(e) comme responsable informatique (DSI) de la commune sur la plateforme Mutualis.']
            : [`Le responsable informatique de ${mail.params.memberName} vous ouvre un compte sur Mutualis, le portail des applications de la commune`,
              `(rôle : ${mail.params.role === 'commune_elected' ? 'élu(e)' : 'agent'}). Une seule connexion vous ouvrira toutes les applications de la commune.`]),
          '',
          'Pour activer votre compte et choisir votre mot de passe, ouvrez ce lien :',
          ctx.invitationLink(mail.params.invitationId),
          '',
          `Ce lien ne sert qu’une fois et expire le ${expires}.`,
          'Si vous n’attendiez pas ce message, ignorez-le : aucun compte ne sera activé.',
          '',
          'Le syndicat',
        ].join('\n'),
      };
    }
    case 'member-onboarded':
      return {
        subject: `${mail.params.memberName} est désormais membre actif`,
        text: [
          'Bonjour,',
          '',
          `L’adhésion de ${mail.params.memberName} est terminée : le membre est actif.`,
          `Sa fiche : ${ctx.origin}/membres/${mail.params.memberId}`,
          '',
          'Mutualis',
        ].join('\n'),
      };
  }
}
