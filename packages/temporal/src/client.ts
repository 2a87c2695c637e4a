import { Client, Connection } from '@temporalio/client';

export interface TemporalSettings { address: string; namespace: string }

let shared: Promise<Client> | undefined;

/** One Temporal client per process (connections are expensive and multiplexed). */
export function temporalClient(settings: TemporalSettings): Promise<Client> {
  shared ??= Connection.connect({ address: settings.address }).then(
    (connection) => new Client({ connection, namespace: settings.namespace }),
    (error: unknown) => {
      shared = undefined;
      throw error;
    },
  );
  return shared;
}

export async function closeTemporalClient(): Promise<void> {
  const client = await shared?.catch(() => undefined);
  shared = undefined;
  await client?.connection.close();
}
