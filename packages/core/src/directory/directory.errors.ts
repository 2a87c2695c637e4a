import { DomainError } from '../errors.ts';

/**
 * The commune's directory could not check the password (down, unreachable, our service account
 * refused, TLS failed): said as such, never as a wrong password, and not counted as a failed login.
 */
export class DirectoryUnavailableError extends DomainError {
  /** what went wrong, for the logs and the DSI; the person signing in gets the sentence only */
  readonly detail: string;
  constructor(detail: string) {
    super("L'annuaire de votre commune ne répond pas ou refuse la connexion de Mutualis : réessayez dans quelques minutes ; si cela dure, prévenez le responsable informatique de votre commune.", 'SERVICE_UNAVAILABLE');
    this.detail = detail;
  }
}

/**
 * The directory knows the person, but their Mutualis account cannot come from it: its e-mail is not
 * of a domain routed to the directory, or an account of that e-mail exists outside this commune's directory.
 */
export class DirectoryAccountConflictError extends DomainError {
  constructor(message: string) { super(message, 'FORBIDDEN'); }
}
