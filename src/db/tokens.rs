//! What invitations and password resets share: a link token kept only as its
//! SHA-256 hash in a `token_hash` column, replaced when the worker mints a new one.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bytea};

use super::sql::Statement;

/// New token hashes for many rows of `table` in one statement: `(id, hash)`
/// pairs with distinct ids.
pub(super) fn set_hashes(
    conn: &mut PgConnection,
    table: &'static str,
    hashes: &[(i64, Vec<u8>)],
) -> QueryResult<usize> {
    if hashes.is_empty() {
        return Ok(0);
    }
    let (ids, hashes): (Vec<i64>, Vec<&[u8]>) =
        hashes.iter().map(|(id, h)| (*id, h.as_slice())).unzip();
    Statement::prepared("UPDATE ")
        .sql(table)
        .sql(" t SET token_hash = v.hash FROM UNNEST(")
        .bind::<Array<BigInt>, _>(ids)
        .sql(", ")
        .bind::<Array<Bytea>, _>(hashes)
        .sql(") AS v(id, hash) WHERE t.id = v.id")
        .execute(conn)
}
