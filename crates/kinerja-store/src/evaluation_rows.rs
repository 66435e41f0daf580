//! Periodic evaluations with realisations, and continuous feedback.

use crate::coded::Coded;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::competency::AuthorRelation;
use kinerja_domain::rule_sets::{Predikat, Rating};
use kinerja_domain::skp::BerAkhlak;
use uuid::Uuid;

use crate::db::page::limited;
use crate::error::StoreResult;
use crate::schema::{evaluations, feedback, realizations};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = evaluations)]
pub struct EvaluationRow {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub agency_id: Uuid,
    pub period_label: String,
    pub self_note: Option<String>,
    pub result_rating: Option<Coded<Rating>>,
    pub behaviour_rating: Option<Coded<Rating>>,
    pub predikat: Option<Coded<Predikat>>,
    pub explanation: Option<serde_json::Value>,
    pub feedback: Option<serde_json::Value>,
    pub rated_by: Option<Uuid>,
    pub rated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = realizations)]
pub struct RealizationRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub evaluation_id: Uuid,
    pub indicator_id: Uuid,
    pub value: Option<f64>,
    pub text: Option<String>,
    pub evidence: serde_json::Value,
}

pub async fn insert_evaluation(
    conn: &mut AsyncPgConnection,
    row: &EvaluationRow,
    realizations: &[RealizationRow],
) -> StoreResult<()> {
    diesel::insert_into(evaluations::table).values(row).execute(conn).await?;
    if !realizations.is_empty() {
        diesel::insert_into(realizations::table).values(realizations).execute(conn).await?;
    }
    Ok(())
}

pub async fn get_evaluation(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<EvaluationRow>> {
    Ok(evaluations::table.find(id).select(EvaluationRow::as_select()).first(conn).await.optional()?)
}

pub async fn realizations_of(conn: &mut AsyncPgConnection, evaluation_id: Uuid) -> StoreResult<Vec<RealizationRow>> {
    Ok(realizations::table
        .filter(realizations::evaluation_id.eq(evaluation_id))
        .order(realizations::id)
        .select(RealizationRow::as_select())
        .load(conn)
        .await?)
}

pub async fn save_rating(conn: &mut AsyncPgConnection, row: &EvaluationRow) -> StoreResult<()> {
    diesel::update(evaluations::table.find(row.id).filter(evaluations::agency_id.eq(row.agency_id)))
        .set((
            evaluations::result_rating.eq(&row.result_rating),
            evaluations::behaviour_rating.eq(&row.behaviour_rating),
            evaluations::predikat.eq(&row.predikat),
            evaluations::explanation.eq(&row.explanation),
            evaluations::feedback.eq(&row.feedback),
            evaluations::rated_by.eq(row.rated_by),
            evaluations::rated_at.eq(row.rated_at),
            evaluations::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = feedback)]
pub struct FeedbackRow {
    pub id: Uuid,
    pub agency_id: Uuid,
    pub employee_id: Uuid,
    pub period_id: Uuid,
    pub author_id: Uuid,
    pub author_relation: Coded<AuthorRelation>,
    pub value: Option<Coded<BerAkhlak>>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_feedback(conn: &mut AsyncPgConnection, row: &FeedbackRow) -> StoreResult<()> {
    diesel::insert_into(feedback::table).values(row).execute(conn).await?;
    Ok(())
}

pub async fn get_feedback(conn: &mut AsyncPgConnection, id: Uuid) -> StoreResult<Option<FeedbackRow>> {
    Ok(feedback::table.find(id).select(FeedbackRow::as_select()).first(conn).await.optional()?)
}

pub async fn list_feedback(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
    period_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<FeedbackRow>> {
    let mut query = feedback::table
        .filter(feedback::employee_id.eq(employee_id))
        .select(FeedbackRow::as_select())
        .order(feedback::id)
        .into_boxed();
    if let Some(period) = period_id {
        query = query.filter(feedback::period_id.eq(period));
    }
    if let Some(after) = after {
        query = query.filter(feedback::id.gt(after));
    }
    Ok(limited(query, limit).load(conn).await?)
}

/// A plan's periodic evaluations, in sub-period order.
pub async fn evaluations_of_plan(conn: &mut AsyncPgConnection, plan_id: Uuid) -> StoreResult<Vec<EvaluationRow>> {
    Ok(evaluations::table
        .filter(evaluations::plan_id.eq(plan_id))
        .order(evaluations::period_label)
        .select(EvaluationRow::as_select())
        .load(conn)
        .await?)
}
