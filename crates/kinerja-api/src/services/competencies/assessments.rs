//! The assessors an agency appoints, and 360° assessments: who may assess whom, the levels given,
//! the snapshot frozen with each (PermenPANRB 38/2017).

use crate::context::access::{authorize, visible, visible_employee};
use crate::context::caller::Caller;
use crate::context::write::{self, IfMatch};
use crate::http::checks::{duplicate, level_error, reject, unknown_competency, usable_in};
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::competency::{self, Assessor, Potential, Source};
use kinerja_domain::limits::is_clean_text;
use kinerja_domain::objection::calendar_day;
use kinerja_domain::RegistryAction;
use kinerja_store::coded::Coded;
use kinerja_store::competency_rows::{
    self as store, AssessmentFilter, AssessmentRow, CompetencyRow, RatingRow, WholeList,
};
use kinerja_store::history_rows::{self, Act};
use kinerja_store::org_rows::AgencyRow;
use kinerja_store::org_rows::{self, EmployeeRow};
use kinerja_store::{audit_rows, identity_rows, AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ---- assessors ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_ids": ["0193a0c2-0000-7000-8000-000000003001"]}))]
pub struct AssessorList {
    /// Users of the agency who give `assessor` assessments (an assessment centre's assessors).
    user_ids: Vec<Uuid>,
}

pub async fn assessors(
    caller: &Caller,
    state: &AppState,
    agency_id: Uuid,
) -> Result<(AssessorList, DateTime<Utc>), ApiError> {
    let agency = visible::<AgencyRow>(state, caller, agency_id).await?;
    authorize(caller, RegistryAction::ReadPeople, agency.id, "agency")?;
    let mut conn = state.db.conn().await?;
    let version = store::list_version(&mut conn, WholeList::Assessors(agency.id)).await?;
    Ok((AssessorList { user_ids: store::assessors(&mut conn, agency.id).await? }, version))
}

/// Appoints the agency's assessors whole: the list locked, its version checked against
/// `If-Match`, replaced and audited in one transaction.
pub async fn replace_assessors(
    caller: &Caller,
    state: &AppState,
    agency_id: Uuid,
    if_match: &IfMatch,
    body: AssessorList,
) -> Result<(AssessorList, DateTime<Utc>), ApiError> {
    let agency = visible::<AgencyRow>(state, caller, agency_id).await?;
    authorize(caller, RegistryAction::Write, agency.id, "agency")?;
    let mut users = body.user_ids;
    users.sort();
    users.dedup();
    let mut conn = state.db.conn().await?;
    let known = identity_rows::users_of_agency(&mut conn, &users, agency.id).await?;
    let mut errors = Vec::new();
    for (i, user) in users.iter().enumerate() {
        if !known.contains(user) {
            errors.push(FieldError::new(format!("user_ids[{i}]"), "not_found", "no user with that id in this agency"));
        }
    }
    reject(errors)?;
    let after = AssessorList { user_ids: users };
    let list = WholeList::Assessors(agency.id);
    let at = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let version = store::lock_list(tx, list).await?;
            if_match.check(version)?;
            let before = AssessorList { user_ids: store::assessors(tx, agency.id).await? };
            let at = write::next_version(version);
            store::replace_assessors(tx, agency.id, &after.user_ids, at).await?;
            store::set_list_version(tx, list, at).await?;
            let event = caller.audit_actor().event(
                AuditEntity::CompetencyAssessors,
                agency.id,
                "replace",
                Some(agency.id),
                Some(&before),
                Some(&after),
            );
            audit_rows::record(tx, event).await?;
            Ok(at)
        })
        .await?;
    Ok((after, at))
}

// ---- assessments ----

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelRating {
    competency_id: Uuid,
    #[schema(minimum = 1, maximum = 5, example = 3)]
    level: u8,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"employee_id": "0193a0c2-0000-7000-8000-00000000e001", "period_id": "0193a0c2-0000-7000-8000-00000000d001", "source": "supervisor", "ratings": [{"competency_id": "0193a0c2-0000-7000-8000-000000001001", "level": 3, "note": "Konsisten menjaga integritas dalam pelayanan"}, {"competency_id": "0193a0c2-0000-7000-8000-000000001002", "level": 2}]}))]
pub struct SubmitAssessment {
    employee_id: Uuid,
    period_id: Uuid,
    source: Source,
    ratings: Vec<LevelRating>,
    /// `assessor` assessments only: the potential seen (for the talent 9-box).
    #[serde(default)]
    potential: Option<Potential>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    source: Source,
    assessor_user_id: Uuid,
    assessor_employee_id: Option<Uuid>,
    potential: Option<Potential>,
    ratings: Vec<LevelRating>,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn source_of(a: &AssessmentRow) -> Source {
    a.source.0
}

fn assessment_view(a: &AssessmentRow, ratings: &[RatingRow]) -> AssessmentView {
    AssessmentView {
        id: a.id,
        employee_id: a.employee_id,
        period_id: a.period_id,
        source: source_of(a),
        assessor_user_id: a.assessor_user_id,
        assessor_employee_id: a.assessor_employee_id,
        potential: a.potential.map(|c| c.0),
        ratings: ratings
            .iter()
            .filter(|r| r.assessment_id == a.id)
            .map(|r| LevelRating {
                competency_id: r.competency_id,
                level: u8::try_from(r.level).unwrap_or(0),
                note: r.note.clone(),
            })
            .collect(),
        created_at: a.created_at,
        updated_at: a.updated_at,
    }
}

fn check_ratings(ratings: &[LevelRating], known: &HashMap<Uuid, CompetencyRow>, agency: Uuid) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if ratings.is_empty() || ratings.len() > 100 {
        errors.push(FieldError::new("ratings", "invalid_length", "1 to 100 ratings"));
    }
    for (i, r) in ratings.iter().enumerate() {
        if let Some(error) = level_error(format!("ratings[{i}].level"), r.level) {
            errors.push(error);
        }
        if ratings[..i].iter().any(|o| o.competency_id == r.competency_id) {
            errors.push(FieldError::new(format!("ratings[{i}].competency_id"), "duplicate", "each competency once"));
        }
        if !known.get(&r.competency_id).is_some_and(|c| usable_in(c, Some(agency))) {
            errors.push(unknown_competency(format!("ratings[{i}].competency_id")));
        }
        if let Some(note) = &r.note {
            if note.chars().count() > 2000 || !is_clean_text(note) {
                errors.push(FieldError::new(format!("ratings[{i}].note"), "invalid_length", "at most 2000 characters"));
            }
        }
    }
    errors
}

/// How the caller stands to the assessed employee.
async fn assessor_standing(
    conn: &mut AsyncPgConnection,
    caller: &Caller,
    user: Uuid,
    employee: &EmployeeRow,
) -> Result<Assessor, ApiError> {
    let own = match caller.employee_id() {
        Some(id) => org_rows::get_employee(conn, Some(employee.agency_id), id).await?,
        None => None,
    };
    Ok(Assessor {
        is_self: own.as_ref().is_some_and(|o| o.id == employee.id),
        is_supervisor: own.as_ref().is_some_and(|o| employee.supervisor_id == Some(o.id)),
        same_unit: own
            .as_ref()
            .is_some_and(|o| o.id != employee.id && o.unit_id.is_some() && o.unit_id == employee.unit_id),
        appointed: store::is_assessor(conn, employee.agency_id, user).await?,
        is_subordinate: own.as_ref().is_some_and(|o| o.supervisor_id == Some(employee.id)),
    })
}

pub async fn submit(
    caller: &Caller,
    state: &AppState,
    body: SubmitAssessment,
) -> Result<(AssessmentView, bool), ApiError> {
    let user =
        caller.user_id().ok_or(ApiError::Forbidden("assessments are given by people, not integration clients"))?;
    let mut conn = state.db.conn().await?;
    let employee = org_rows::get_employee(&mut conn, caller.shard_hint(), body.employee_id)
        .await?
        .filter(|e| caller.agency_id() == Some(e.agency_id))
        .ok_or(ApiError::NotFound("employee"))?;
    let period = kinerja_store::plan_rows::get_period(&mut conn, Some(employee.agency_id), body.period_id)
        .await?
        .filter(|p| p.agency_id == employee.agency_id)
        .ok_or(ApiError::NotFound("period"))?;
    let standing = assessor_standing(&mut conn, caller, user, &employee).await?;
    competency::may_assess(body.source, standing).map_err(ApiError::Forbidden)?;
    if calendar_day(Utc::now()) > period.ends_on {
        return Err(ApiError::Conflict {
            code: ProblemCode::PeriodClosed,
            detail: format!("the period ended on {}; its assessments are final", period.ends_on),
        });
    }
    let ids: Vec<Uuid> = body.ratings.iter().map(|r| r.competency_id).collect();
    let known: HashMap<Uuid, CompetencyRow> =
        store::competencies_by_ids(&mut conn, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut errors = check_ratings(&body.ratings, &known, employee.agency_id);
    if body.potential.is_some() && body.source != Source::Assessor {
        errors.push(FieldError::new("potential", "not_allowed", "only an assessor rates potential"));
    }
    reject(errors)?;
    let earlier = store::find_assessment(&mut conn, employee.id, period.id, body.source.as_str(), user).await?;
    let now = Utc::now();
    let row = AssessmentRow {
        id: earlier.as_ref().map_or_else(Uuid::now_v7, |e| e.id),
        agency_id: employee.agency_id,
        employee_id: employee.id,
        period_id: period.id,
        source: Coded(body.source),
        assessor_user_id: user,
        assessor_employee_id: caller.employee_id(),
        potential: body.potential.map(Coded),
        created_at: earlier.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    let ratings: Vec<RatingRow> = body
        .ratings
        .iter()
        .map(|r| RatingRow {
            agency_id: row.agency_id,
            assessment_id: row.id,
            competency_id: r.competency_id,
            level: i16::from(r.level),
            note: r.note.clone(),
        })
        .collect();
    let before = match &earlier {
        Some(e) => Some(assessment_view(e, &store::ratings_of(&mut conn, &[e.id]).await?)),
        None => None,
    };
    let after = assessment_view(&row, &ratings);
    conn.transaction::<_, ApiError, _>(async |tx| {
        store::save_assessment(tx, &row, &ratings, earlier.is_some()).await.map_err(duplicate(
            ProblemCode::AssessmentExists,
            "this assessment was just recorded; send it again to replace it",
        ))?;
        history_rows::freeze(tx, Act::Assessment, row.id, row.agency_id, row.employee_id, row.period_id).await?;
        let action = if earlier.is_some() { "replace" } else { "create" };
        let event = caller.audit_actor().event(
            AuditEntity::CompetencyAssessment,
            row.id,
            action,
            Some(row.agency_id),
            before.as_ref(),
            Some(&after),
        );
        audit_rows::record(tx, event).await?;
        Ok(())
    })
    .await?;
    Ok((after, earlier.is_some()))
}

/// Whether the caller may read this individual assessment (peers' only as a mean, see
/// [`competency::may_read_assessment`]).
async fn may_read(state: &AppState, caller: &Caller, a: &AssessmentRow) -> Result<bool, ApiError> {
    let is_author = caller.user_id() == Some(a.assessor_user_id);
    let reads_people = caller.actor.may_on_registry(RegistryAction::ReadPeople, a.agency_id);
    let reads_employee = is_author || reads_people || reads_employee(state, caller, a.employee_id).await?;
    Ok(competency::may_read_assessment(source_of(a), is_author, reads_people, reads_employee))
}

/// Whether the caller may read the employee's record (their own, or someone below them).
async fn reads_employee(state: &AppState, caller: &Caller, employee: Uuid) -> Result<bool, ApiError> {
    match visible_employee(state, caller, employee).await {
        Ok(_) => Ok(true),
        Err(ApiError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn read(caller: &Caller, state: &AppState, assessment_id: Uuid) -> Result<AssessmentView, ApiError> {
    let mut conn = state.db.conn().await?;
    let row = store::get_assessment(&mut conn, assessment_id).await?.ok_or(ApiError::NotFound("assessment"))?;
    drop(conn);
    if !may_read(state, caller, &row).await? {
        return Err(ApiError::NotFound("assessment"));
    }
    let mut conn = state.db.conn().await?;
    let ratings = store::ratings_of(&mut conn, &[row.id]).await?;
    Ok(assessment_view(&row, &ratings))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssessmentQuery {
    employee_id: Option<Uuid>,
    period_id: Option<Uuid>,
    /// Only assessments from this source.
    source: Option<Source>,
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: AssessmentQuery,
    page: PageParams,
) -> Result<Page<AssessmentView>, ApiError> {
    let request = page.parse()?;
    let mut filter = AssessmentFilter {
        employee_id: query.employee_id,
        period_id: query.period_id,
        source: query.source,
        ..Default::default()
    };
    let reads_all = caller.reads_every_agency()
        || caller.agency_id().is_some_and(|a| caller.actor.may_on_registry(RegistryAction::ReadPeople, a));
    if !caller.reads_every_agency() {
        filter.agency_id = Some(caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?);
    }
    if !reads_all {
        let user = caller.user_id().ok_or(ApiError::Forbidden("your scopes do not allow reading assessments"))?;
        let reads_employee = match query.employee_id {
            Some(id) => reads_employee(state, caller, id).await?,
            None => false,
        };
        if reads_employee {
            filter.hide_peers_except = Some(Some(user));
        } else {
            filter.assessor_user_id = Some(user);
        }
    }
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = store::list_assessments(&mut conn, &filter, request.after, request.fetch()).await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.id).collect();
    let ratings = store::ratings_of(&mut conn, &ids).await?;
    Ok(Page::from_rows(rows, request, |a| a.id, |a| assessment_view(&a, &ratings)))
}
