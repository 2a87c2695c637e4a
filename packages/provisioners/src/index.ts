export * from './smtp/mailer.ts';
export * from './provisioner.ts';
export * from './postgres-database/postgres-database.provisioner.ts';
export * from './oidc-client/oidc-client.provisioner.ts';
export * from './app-endpoint/app-endpoint.provisioner.ts';
