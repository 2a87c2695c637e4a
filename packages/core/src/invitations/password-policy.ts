import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as fr from '@zxcvbn-ts/language-fr';

export const MIN_PASSWORD_LENGTH = 12;

let zxcvbn: ZxcvbnFactory | undefined;
let commonPasswords: Set<string> | undefined;

function checker(): { zxcvbn: ZxcvbnFactory; common: Set<string> } {
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...fr.dictionary },
    graphs: common.adjacencyGraphs,
    translations: fr.translations,
  });
  commonPasswords ??= new Set(common.dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return { zxcvbn, common: commonPasswords };
}

/**
 * Why a password is refused, in a sentence a person can act on, or null when it is accepted:
 * at least 12 characters, not one of the common or breached passwords (zxcvbn's list of the most
 * frequent leaked passwords), and not guessable from the person's own details or French words.
 */
export function passwordProblem(password: string, personal: string[] = []): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Choisissez un mot de passe d'au moins ${MIN_PASSWORD_LENGTH} caractères (une phrase de quelques mots fait très bien l'affaire).`;
  if (password.length > 256) return 'Ce mot de passe est trop long (256 caractères au plus).';
  const { zxcvbn, common } = checker();
  if (common.has(password.toLowerCase())) return 'Ce mot de passe figure parmi les plus utilisés ou déjà divulgués : choisissez-en un autre.';
  // Names and addresses count word by word ("camille", "martin", "vaulx"…).
  const words = personal.flatMap((p) => p.toLowerCase().split(/[^\p{L}\p{N}]+/u)).filter((w) => w.length >= 3);
  const result = zxcvbn.check(password, [...words, 'mutualis', 'syndicat', 'mairie', 'commune']);
  if (result.score < 3) {
    return 'Ce mot de passe est trop facile à deviner (mots courants, suites de touches ou informations personnelles) : allongez-le ou mélangez plusieurs mots sans rapport.';
  }
  return null;
}
