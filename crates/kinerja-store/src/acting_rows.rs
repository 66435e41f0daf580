//! Acting officials (Plt/Plh): who stands in for whom, and from when to when.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::acting::ActingKind;
use uuid::Uuid;

use crate::coded::Coded;
use crate::db::page::limited;
use crate::error::StoreResult;
use crate::schema::acting_officials;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = acting_officials)]
pub struct ActingRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub acting_id: Uuid,
    pub for_employee_id: Option<Uuid>,
    pub for_position_id: Option<Uuid>,
    pub kind: Coded<ActingKind>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &ActingRow) -> StoreResult<ActingRow> {
    Ok(diesel::insert_into(acting_officials::table)
        .values(row)
        .returning(ActingRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn get(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<ActingRow>> {
    Ok(acting_officials::table.find(id).select(ActingRow::as_select()).first(conn).await.optional()?)
}

pub async fn lock(
    conn: &mut AsyncPgConnection,
    key: impl Into<crate::shard::RowKey>,
) -> StoreResult<Option<ActingRow>> {
    Ok(crate::shard::locked_by_id!(conn, acting_officials, ActingRow, key, for_update))
}

/// Only the end date changes (a delegation ended early or extended).
pub async fn update(conn: &mut AsyncPgConnection, row: &ActingRow) -> StoreResult<ActingRow> {
    Ok(diesel::update(acting_officials::table.find(row.id).filter(acting_officials::agency_id.eq(row.agency_id)))
        .set((acting_officials::ends_on.eq(row.ends_on), acting_officials::updated_at.eq(row.updated_at)))
        .returning(ActingRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn delete(conn: &mut AsyncPgConnection, row: &ActingRow) -> StoreResult<()> {
    diesel::delete(acting_officials::table.find(row.id).filter(acting_officials::agency_id.eq(row.agency_id)))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ActingFilter {
    pub agency_id: Option<Uuid>,
    pub acting_id: Option<Uuid>,
    pub for_employee_id: Option<Uuid>,
    /// Only delegations that run on this day.
    pub runs_on: Option<NaiveDate>,
}

pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &ActingFilter,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<ActingRow>> {
    let mut query = acting_officials::table.select(ActingRow::as_select()).order(acting_officials::id).into_boxed();
    if let Some(agency) = filter.agency_id {
        query = query.filter(acting_officials::agency_id.eq(agency));
    }
    if let Some(acting) = filter.acting_id {
        query = query.filter(acting_officials::acting_id.eq(acting));
    }
    if let Some(official) = filter.for_employee_id {
        query = query.filter(acting_officials::for_employee_id.eq(official));
    }
    if let Some(day) = filter.runs_on {
        query = query.filter(acting_officials::starts_on.le(day)).filter(acting_officials::ends_on.ge(day));
    }
    if let Some(after) = after {
        query = query.filter(acting_officials::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

#[derive(QueryableByName)]
struct Official {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The officials `employee` stands in for on `day`: those named, and whoever holds a position
/// named. Delegations stay within the employee's `agency`.
pub async fn stands_in_for(
    conn: &mut AsyncPgConnection,
    agency: Uuid,
    employee: Uuid,
    day: NaiveDate,
) -> StoreResult<Vec<Uuid>> {
    let rows: Vec<Official> = diesel::sql_query(
        "SELECT a.for_employee_id AS id FROM acting_officials a \
         WHERE a.agency_id = $3 AND a.acting_id = $1 AND a.ends_on >= $2 AND a.starts_on <= $2 \
           AND a.for_employee_id IS NOT NULL \
         UNION \
         SELECT e.id FROM acting_officials a JOIN employees e ON e.agency_id = a.agency_id AND e.position_id = a.for_position_id \
         WHERE a.agency_id = $3 AND a.acting_id = $1 AND a.ends_on >= $2 AND a.starts_on <= $2 AND e.id <> $1",
    )
    .bind::<SqlUuid, _>(employee)
    .bind::<Date, _>(day)
    .bind::<SqlUuid, _>(agency)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
