//! The talent 9-box (PermenPANRB 3/2020): performance from the predikat in force, potential from
//! the assessor or the JPM.

use crate::context::access::{ensure_unit_people_readable, visible};
use crate::context::caller::Caller;
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams};
use crate::services::competency_profiles::profiles;
use crate::state::AppState;
use kinerja_domain::competency::{self, Performance, Potential, PotentialSource};
use kinerja_domain::rule_sets::Predikat;
use kinerja_domain::RegistryAction;
use kinerja_store::competency_rows::{self as store};
use kinerja_store::org_rows::AgencyRow;
use kinerja_store::org_rows::{self, EmployeeFilter, EmployeeRow};
use kinerja_store::plan_rows::{self};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

// ---- the talent map ----

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TalentMapQuery {
    period_id: Uuid,
    unit_id: Option<Uuid>,
    /// Only the talent pool: boxes 7 to 9.
    #[serde(default)]
    talent_pool: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TalentPlacement {
    employee_id: Uuid,
    nip: String,
    name: String,
    unit_id: Option<Uuid>,
    position_id: Option<Uuid>,
    /// The latest annual predikat in force, up to this period.
    predikat: Option<Predikat>,
    performance: Option<Performance>,
    jpm: Option<f64>,
    potential: Option<Potential>,
    potential_from: Option<PotentialSource>,
    /// 1 to 9; `null` until both performance and potential are known.
    #[serde(rename = "box")]
    nine_box: Option<u8>,
    follow_up: Option<String>,
    talent_pool: bool,
}

pub async fn talent_map(
    caller: &Caller,
    state: &AppState,
    agency_id: Uuid,
    query: TalentMapQuery,
    page: PageParams,
) -> Result<Page<TalentPlacement>, ApiError> {
    let request = page.parse()?;
    let agency = visible::<AgencyRow>(state, caller, agency_id).await?;
    let mut conn = state.db.conn().await?;
    if !caller.actor.may_on_registry(RegistryAction::ReadPeople, agency.id) {
        // A unit head reads the talent map of a unit they head (or one below it).
        let unit = match query.unit_id {
            Some(unit) => org_rows::get_unit(&mut conn, unit).await?.filter(|u| u.agency_id == agency.id),
            None => None,
        };
        let unit = unit.ok_or(ApiError::Forbidden("name a unit you head as unit_id"))?;
        ensure_unit_people_readable(&mut conn, caller, &unit).await?;
    }
    let period = plan_rows::get_period(&mut conn, None, query.period_id)
        .await?
        .filter(|p| p.agency_id == agency.id)
        .ok_or(ApiError::NotFound("period"))?;
    let filter = EmployeeFilter { agency_id: Some(agency.id), unit_id: query.unit_id, ..Default::default() };
    let rows = org_rows::list_employees(&mut conn, &filter, request.after, request.fetch()).await?;
    let refs: Vec<&EmployeeRow> = rows.iter().collect();
    let mut profiles = profiles(&mut conn, &period, &refs).await?;
    let ids: Vec<Uuid> = rows.iter().map(|e| e.id).collect();
    let potentials: HashMap<Uuid, Potential> = store::potentials(&mut conn, period.id, &ids)
        .await?
        .into_iter()
        .filter_map(|p| Potential::parse(&p.code).map(|k| (p.employee_id, k)))
        .collect();
    let predikat: HashMap<Uuid, Predikat> = store::latest_predikat(&mut conn, &ids, period.ends_on)
        .await?
        .into_iter()
        .filter_map(|p| Predikat::parse(&p.code).map(|k| (p.employee_id, k)))
        .collect();
    let page = Page::scanned(
        rows,
        request,
        |e| e.id,
        |e| {
            let jpm = profiles.remove(&e.id).and_then(|p| p.jpm.ok());
            let judged = Potential::judged(potentials.get(&e.id).copied(), jpm);
            let (potential, potential_from) = (judged.map(|(p, _)| p), judged.map(|(_, from)| from));
            let predikat = predikat.get(&e.id).copied();
            let performance = predikat.map(Performance::from_predikat);
            let placed = performance.zip(potential).map(|(k, p)| competency::nine_box(k, p));
            let talent_pool = placed.is_some_and(|(b, _)| b >= competency::TALENT_POOL_MIN_BOX);
            (talent_pool || !query.talent_pool).then(|| TalentPlacement {
                employee_id: e.id,
                nip: e.nip,
                name: e.name,
                unit_id: e.unit_id,
                position_id: e.position_id,
                predikat,
                performance,
                jpm,
                potential,
                potential_from,
                nine_box: placed.map(|(b, _)| b),
                follow_up: placed.map(|(_, f)| f.to_owned()),
                talent_pool,
            })
        },
    );
    Ok(page)
}
