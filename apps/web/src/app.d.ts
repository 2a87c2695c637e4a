import type { Actor } from '@mutualis/core';
import type { Locale } from '#lib/i18n/index.ts';

declare global {
  namespace App {
    interface Locals {
      actor: Actor | null;
      locale: Locale;
    }
    interface Error {
      message: string;
    }
  }
}

export {};
