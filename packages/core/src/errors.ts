/** Domain errors: the API maps each to a tRPC code; the message is shown to people as is. */
export type DomainErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHORIZED' | 'TOO_MANY_REQUESTS' | 'CONFLICT' | 'SERVICE_UNAVAILABLE';

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  constructor(message: string, code: DomainErrorCode) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(what = 'Cet élément est introuvable.') { super(what, 'NOT_FOUND'); }
}

export class ForbiddenError extends DomainError {
  constructor(message = "Vous n'avez pas le droit de faire cela.") { super(message, 'FORBIDDEN'); }
}

export class InvalidCredentialsError extends DomainError {
  constructor() { super('Adresse e-mail ou mot de passe incorrect.', 'UNAUTHORIZED'); }
}

export class AccountDisabledError extends DomainError {
  constructor() { super('Ce compte est désactivé. Contactez le responsable informatique de votre commune.', 'FORBIDDEN'); }
}

/** Too many failed logins: refused until `retryAt`, even with the right password. */
export class ThrottledError extends DomainError {
  readonly retryAt: Date;
  constructor(retryAt: Date) {
    super(`Trop de tentatives de connexion échouées. Réessayez après ${formatParis(retryAt)}.`, 'TOO_MANY_REQUESTS');
    this.retryAt = retryAt;
  }
}

export class ValidationError extends DomainError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message, 'BAD_REQUEST');
    this.field = field;
  }
}

function formatParis(date: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }).format(date) + ' (heure de Paris)';
}
