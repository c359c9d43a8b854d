// kysely's values (the query builder, the dialects, `sql`), taken from its CommonJS
// build: importing the registry's server module costs 71-72 MiB of resident memory
// with it, 73-75 MiB with the ESM build's 263 modules (a fresh node,
// --max-semi-space-size=4, after gc). Types still come from 'kysely'. Import
// kysely's values from here, never from 'kysely' (eslint enforces it).
import { createRequire } from 'node:module';
import type * as KyselyModule from 'kysely';

const kysely = createRequire(import.meta.url)('kysely') as typeof KyselyModule;

export const { Kysely, SqliteDialect, PostgresDialect, sql } = kysely;
export type Kysely<DB> = KyselyModule.Kysely<DB>;
