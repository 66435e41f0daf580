//! Finding an agency-owned row's shard. On Citus a row lives on the shard of its agency, and a
//! lock (`FOR UPDATE`/`FOR SHARE`) runs only where one shard is named: a lock by id therefore
//! reads the row's agency first (a row never changes agency) and then locks by both. On one node
//! the first read is one more index lookup.

use diesel::sql_types::Uuid as SqlUuid;
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::error::StoreResult;

#[derive(QueryableByName)]
struct Agency {
    #[diesel(sql_type = SqlUuid)]
    agency_id: Uuid,
}

/// The agency of the row of `table` whose `column` is `id` (names are the store's own).
pub(crate) async fn agency_of(
    conn: &mut AsyncPgConnection,
    table: &'static str,
    column: &'static str,
    id: Uuid,
) -> StoreResult<Option<Uuid>> {
    let found: Option<Agency> = diesel::sql_query(format!("SELECT agency_id FROM {table} WHERE {column} = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .optional()?;
    Ok(found.map(|a| a.agency_id))
}

/// The row of `$table` whose id is `$id`, read with `$lock` (`for_update`, `for_share`) on its
/// agency's shard: `Option<$row>`, none when there is no such row. Used inside a store function
/// returning `StoreResult`.
macro_rules! locked_by_id {
    ($conn:expr, $table:ident, $row:ty, $id:expr, $lock:ident) => {
        match crate::shard::agency_of($conn, stringify!($table), "id", $id).await? {
            None => None,
            Some(agency) => $table::table
                .find($id)
                .filter($table::agency_id.eq(agency))
                .select(<$row>::as_select())
                .$lock()
                .first($conn)
                .await
                .optional()?,
        }
    };
}
pub(crate) use locked_by_id;
