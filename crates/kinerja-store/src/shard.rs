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

/// The row of `$table` whose key is `$key` (a [`RowKey`] or a bare id), read with `$lock` (`for_update`, `for_share`) on its
/// agency's shard: `Option<$row>`, none when there is no such row. Used inside a store function
/// returning `StoreResult`.
macro_rules! locked_by_id {
    ($conn:expr, $table:ident, $row:ty, $key:expr, $lock:ident) => {{
        let key: crate::shard::RowKey = $key.into();
        let agency = match key.agency {
            Some(agency) => Some(agency),
            None => crate::shard::agency_of($conn, stringify!($table), "id", key.id).await?,
        };
        match agency {
            None => None,
            Some(agency) => $table::table
                .find(key.id)
                .filter($table::agency_id.eq(agency))
                .select(<$row>::as_select())
                .$lock()
                .first($conn)
                .await
                .optional()?,
        }
    }};
}
pub(crate) use locked_by_id;

/// `$query` narrowed to `$agency` (an `Option<Uuid>`: the caller's agency, when it has one) by
/// `$table.agency_id`. On Citus a read by id that names its agency goes to one shard; one that
/// does not asks every shard. The answer is the same: a caller never reads another agency's rows
/// by id.
macro_rules! in_agency {
    ($query:expr, $table:ident, $agency:expr) => {{
        let query = $query.into_boxed();
        match $agency {
            Some(agency) => query.filter($table::agency_id.eq(agency)),
            None => query,
        }
    }};
}
pub(crate) use in_agency;

/// Which row a lock is for: its id and, when the caller already knows it, its agency. With the
/// agency known the lock goes straight to the agency's shard; without it the agency is read
/// first (every shard asked on Citus). A bare id converts into a key without agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowKey {
    pub agency: Option<Uuid>,
    pub id: Uuid,
}

impl RowKey {
    pub fn new(agency: Uuid, id: Uuid) -> RowKey {
        RowKey { agency: Some(agency), id }
    }
}

impl From<Uuid> for RowKey {
    fn from(id: Uuid) -> RowKey {
        RowKey { agency: None, id }
    }
}
