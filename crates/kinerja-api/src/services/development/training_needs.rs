//! A unit's training needs: competency gaps summed per competency and ranked.

use crate::context::access::{unit_report_scope, UnitReportScope};
use crate::context::caller::Caller;
use crate::http::error::ApiError;
use crate::services::competency_profiles::{competency_names, profiles};
use crate::state::AppState;
use kinerja_domain::competency::{CompetencyGroup, JpmError};
use kinerja_store::org_rows::{self, EmployeeRow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ---- training needs ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrainingNeedsQuery {
    period_id: Uuid,
    /// `subunits`: the whole subtree under the unit.
    #[param(pattern = "^subunits$")]
    include: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingNeed {
    /// 1 = the biggest need: the largest total gap, then the most employees.
    rank: u32,
    competency_id: Uuid,
    code: String,
    name: String,
    group: CompetencyGroup,
    /// Employees assessed below the required level.
    employees: u32,
    /// Σ (required − assessed) over them.
    total_gap: u32,
    mean_gap: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingNeeds {
    unit_id: Uuid,
    period_id: Uuid,
    include_subunits: bool,
    /// Employees counted.
    employees: u32,
    /// Of them, employees whose position has no standard.
    without_standard: u32,
    items: Vec<TrainingNeed>,
}

pub async fn training_needs(
    caller: &Caller,
    state: &AppState,
    unit_id: Uuid,
    query: TrainingNeedsQuery,
) -> Result<TrainingNeeds, ApiError> {
    let (scope, mut conn) =
        unit_report_scope(state, caller, unit_id, query.period_id, query.include.as_deref()).await?;
    let UnitReportScope { unit, period, units, include_subunits } = scope;
    let members = org_rows::employees_in_units(&mut conn, &units).await?;
    let refs: Vec<&EmployeeRow> = members.iter().collect();
    let profiles = profiles(&mut conn, &period, &refs).await?;
    let mut needs: HashMap<Uuid, (u32, u32)> = HashMap::new();
    let mut without_standard = 0;
    for profile in profiles.values() {
        if matches!(profile.jpm, Err(JpmError::NoStandard)) {
            without_standard += 1;
        }
        for shortfall in profile.lines.iter().filter_map(|l| l.shortfall().filter(|s| *s > 0).map(|s| (l, s))) {
            let entry = needs.entry(shortfall.0.competency_id).or_default();
            entry.0 += 1;
            entry.1 += u32::from(shortfall.1);
        }
    }
    let names = competency_names(&mut conn, needs.keys().copied()).await?;
    let mut items: Vec<TrainingNeed> = needs
        .into_iter()
        .filter_map(|(id, (employees, total_gap))| {
            names.get(&id).map(|c| TrainingNeed {
                rank: 0,
                competency_id: id,
                code: c.code.clone(),
                name: c.name.clone(),
                group: c.competency_group.0,
                employees,
                total_gap,
                mean_gap: (f64::from(total_gap) * 100.0 / f64::from(employees)).round() / 100.0,
            })
        })
        .collect();
    items.sort_by(|a, b| (b.total_gap, b.employees, &a.code).cmp(&(a.total_gap, a.employees, &b.code)));
    for (i, item) in items.iter_mut().enumerate() {
        item.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    Ok(TrainingNeeds {
        unit_id: unit.id,
        period_id: period.id,
        include_subunits,
        employees: u32::try_from(members.len()).unwrap_or(u32::MAX),
        without_standard,
        items,
    })
}
