/**
 * What every provisioner offers: `ensure` makes the resource or finds it made (safe to call again
 * after a crash, with the same spec), `inspect` says how it really is, `remove` deletes it and is a
 * no-op when it is already gone.
 */
export interface Provisioner<Spec, Made> {
  ensure(spec: Spec): Promise<Made>;
  inspect(spec: Spec): Promise<Inspection>;
  remove(spec: Spec): Promise<void>;
}

/** How a resource really is: `problems` in words a DSI or an operator can act on. */
export interface Inspection { exists: boolean; problems: string[] }

/** The resource cannot be made as asked, and retrying will not help (a name taken by someone else…). */
export class ProvisionRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisionRefusedError';
  }
}
