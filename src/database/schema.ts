/**
 * The single source of table types for Kysely. `Selectable`, `Insertable` and `Updateable`
 * types are derived from these interfaces, never copied by hand.
 */
import type { ColumnType, Generated } from "kysely";

export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface SchemaMigrationTable {
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface Database {
  switchboard_migrations: SchemaMigrationTable;
}
