//! Instance-wide secrets shared by every Roster process on the database.

use diesel::prelude::*;

use super::schema::instance_secrets;

/// Returns the named secret, creating it from `generate` the first time; concurrent
/// first starts agree on one value.
pub fn get_or_create(
    conn: &mut PgConnection,
    name: &str,
    generate: impl FnOnce() -> Vec<u8>,
) -> QueryResult<Vec<u8>> {
    diesel::insert_into(instance_secrets::table)
        .values((
            instance_secrets::name.eq(name),
            instance_secrets::value.eq(generate()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    instance_secrets::table
        .find(name)
        .select(instance_secrets::value)
        .first(conn)
}
