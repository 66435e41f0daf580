//! The organisation's own predikat and the distribution curve it sets for the unit's employees (SE
//! MenPANRB 3/2023).

use crate::context::access::{authorize, unit_report_scope, visible, UnitReportScope};
use crate::context::caller::Caller;
use crate::context::write::{self, IfMatch};
use crate::http::error::ApiError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::distribution::{self, Counts, OrgPredikat};
use kinerja_domain::rule_sets::Predikat;
use kinerja_domain::RegistryAction;
use kinerja_store::appraisal_rows::{self, OrgRatingRow};
use kinerja_store::coded::Coded;
use kinerja_store::org_rows::UnitRow;
use kinerja_store::plan_rows::PeriodRow;
use kinerja_store::{audit_rows, plan_rows};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::optional_text;

// ---- the organisation's own predikat and the distribution curve ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"predikat": "baik", "note": "Hasil evaluasi kinerja organisasi 2026."}))]
pub struct OrgRatingRequest {
    predikat: OrgPredikat,
    #[serde(default)]
    #[schema(max_length = 4000)]
    note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRatingView {
    unit_id: Uuid,
    period_id: Uuid,
    predikat: OrgPredikat,
    note: Option<String>,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&OrgRatingRow> for OrgRatingView {
    fn from(r: &OrgRatingRow) -> Self {
        OrgRatingView {
            unit_id: r.unit_id,
            period_id: r.period_id,
            predikat: r.predikat.0,
            note: r.note.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The unit and a period of the same agency, both visible to the caller.
async fn unit_and_period(
    state: &AppState,
    caller: &Caller,
    unit_id: Uuid,
    period_id: Uuid,
) -> Result<(kinerja_store::org_rows::UnitRow, PeriodRow), ApiError> {
    let unit = visible::<UnitRow>(state, caller, unit_id).await?;
    let mut conn = state.db.conn().await?;
    let period = plan_rows::get_period(&mut conn, None, period_id)
        .await?
        .filter(|p| p.agency_id == unit.agency_id)
        .ok_or(ApiError::NotFound("period"))?;
    Ok((unit, period))
}

pub async fn replace_organisation_rating(
    caller: &Caller,
    state: &AppState,
    (unit_id, period_id): (Uuid, Uuid),
    if_match: &IfMatch,
    body: OrgRatingRequest,
) -> Result<(OrgRatingView, bool), ApiError> {
    let (unit, period) = unit_and_period(state, caller, unit_id, period_id).await?;
    authorize(caller, RegistryAction::Write, unit.agency_id, "unit")?;
    let note = optional_text("note", body.note.as_deref())?;
    let (saved, existed) = write::transaction(state, async |tx| {
        // Locked (or, the first time, absent): a stale If-Match is refused against the row as it is.
        let before = appraisal_rows::lock_org_rating(tx, unit.id, period.id).await?;
        if let Some(b) = &before {
            if_match.check(b.updated_at)?;
        }
        let now = before.as_ref().map_or_else(Utc::now, |b| write::next_version(b.updated_at));
        let row = OrgRatingRow {
            unit_id: unit.id,
            period_id: period.id,
            agency_id: unit.agency_id,
            predikat: Coded(body.predikat),
            note,
            rated_by: caller.user_id(),
            created_at: now,
            updated_at: now,
        };
        let saved = appraisal_rows::put_org_rating(tx, &row).await?;
        let changes = json!({"period_id": period.id,
                             "predikat": {"old": before.as_ref().map(|b| &b.predikat), "new": saved.predikat},
                             "note": saved.note});
        let action = if before.is_some() { "update" } else { "create" };
        let event = caller.audit_actor().raw(
            AuditEntity::OrganisationRating,
            Some(unit.id),
            action,
            Some(unit.agency_id),
            changes,
        );
        audit_rows::record(tx, event).await?;
        Ok((saved, before.is_some()))
    })
    .await?;
    Ok((OrgRatingView::from(&saved), existed))
}

pub async fn organisation_rating(
    caller: &Caller,
    state: &AppState,
    (unit_id, period_id): (Uuid, Uuid),
) -> Result<OrgRatingView, ApiError> {
    let (unit, period) = unit_and_period(state, caller, unit_id, period_id).await?;
    let mut conn = state.db.conn().await?;
    let row = appraisal_rows::get_org_rating(&mut conn, unit.id, period.id)
        .await?
        .ok_or(ApiError::NotFound("organisation rating"))?;
    Ok(OrgRatingView::from(&row))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistributionQuery {
    period_id: Uuid,
    /// `subunits`: count the whole subtree under the unit's organisation predikat.
    #[param(pattern = "^subunits$")]
    include: Option<String>,
}

/// A value per employee predikat of the curve.
#[derive(Debug, Serialize, ToSchema)]
pub struct PerPredikat<T> {
    sangat_baik: T,
    baik: T,
    butuh_perbaikan: T,
    kurang: T,
    sangat_kurang: T,
}

impl<T: Copy> PerPredikat<T> {
    fn from_grades(values: [T; 5]) -> Self {
        let [sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang] = values;
        PerPredikat { sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    #[schema(example = "baik at most 70%")]
    rule: String,
    ok: bool,
    #[schema(example = "8 of 10; at most 7 allowed")]
    detail: String,
}

/// Moving `count` employees from one predikat to another.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    from: Predikat,
    to: Predikat,
    count: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionView {
    unit_id: Uuid,
    period_id: Uuid,
    include_subunits: bool,
    /// Absent until the unit's organisation rating is recorded; then there are no rules.
    organisation_predikat: Option<OrgPredikat>,
    /// Employees with an annual rating, counted where they were when rated.
    total: u32,
    /// Current plans of employees now in the unit that have no annual rating yet.
    unrated: i64,
    counts: PerPredikat<u32>,
    /// Of `total`, 0–1, rounded to four places.
    shares: PerPredikat<f64>,
    rules: Vec<RuleView>,
    /// Absent without an organisation predikat.
    compliant: Option<bool>,
    /// For a non-compliant unit, the fewest changes that would make it comply; absent when it
    /// complies or when no distribution of a unit this size can.
    suggestion: Option<Vec<ChangeView>>,
    /// Why there is no suggestion, when there is none for a non-compliant unit.
    note: Option<String>,
}

fn distribution_view(
    unit_id: Uuid,
    period_id: Uuid,
    include_subunits: bool,
    org: Option<OrgPredikat>,
    counts: Counts,
    unrated: i64,
) -> DistributionView {
    let total: u32 = counts.iter().sum();
    let share = |n: u32| if total == 0 { 0.0 } else { (f64::from(n) / f64::from(total) * 10_000.0).round() / 10_000.0 };
    let rules = org.map(|o| distribution::check(o, &counts)).unwrap_or_default();
    let compliant = org.map(|_| rules.iter().all(|r| r.ok));
    let (suggestion, note) = match (org, compliant) {
        (Some(o), Some(false)) => match distribution::suggest(o, &counts) {
            Some(changes) => (
                Some(changes.into_iter().map(|c| ChangeView { from: c.from, to: c.to, count: c.count }).collect()),
                None,
            ),
            None => (None, Some(format!("no distribution of {total} employees meets every rule of {}", o.as_str()))),
        },
        _ => (None, None),
    };
    DistributionView {
        unit_id,
        period_id,
        include_subunits,
        organisation_predikat: org,
        total,
        unrated,
        counts: PerPredikat::from_grades(counts),
        shares: PerPredikat::from_grades(counts.map(share)),
        rules: rules.into_iter().map(|r| RuleView { rule: r.rule, ok: r.ok, detail: r.detail }).collect(),
        compliant,
        suggestion,
        note,
    }
}

pub async fn unit_distribution(
    caller: &Caller,
    state: &AppState,
    unit_id: Uuid,
    query: DistributionQuery,
) -> Result<DistributionView, ApiError> {
    let (scope, mut conn) =
        unit_report_scope(state, caller, unit_id, query.period_id, query.include.as_deref()).await?;
    let UnitReportScope { unit, period, units, include_subunits } = scope;
    let tallies = appraisal_rows::predikat_counts(&mut conn, period.id, &units).await?;
    let counts =
        distribution::count(tallies.iter().map(|t| (t.predikat.0.as_str(), u32::try_from(t.count).unwrap_or(0))));
    let unrated = appraisal_rows::unrated_plans(&mut conn, period.id, &units).await?;
    let org = appraisal_rows::get_org_rating(&mut conn, unit.id, period.id).await?.map(|r| r.predikat.0);
    Ok(distribution_view(unit.id, period.id, include_subunits, org, counts, unrated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_example_is_reported_with_a_fix() {
        let view = distribution_view(Uuid::nil(), Uuid::nil(), false, Some(OrgPredikat::Baik), [2, 8, 0, 0, 0], 0);
        assert_eq!(view.compliant, Some(false));
        assert_eq!(view.shares.baik, 0.8);
        assert_eq!(view.rules.iter().filter(|r| !r.ok).count(), 2);
        assert_eq!(view.suggestion.as_ref().map(Vec::len), Some(1));
        // Without an organisation predikat there is nothing to check.
        let open = distribution_view(Uuid::nil(), Uuid::nil(), false, None, [2, 8, 0, 0, 0], 3);
        assert!(open.rules.is_empty() && open.compliant.is_none() && open.suggestion.is_none());
    }
}
