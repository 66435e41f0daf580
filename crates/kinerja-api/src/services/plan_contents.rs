//! What a performance plan (SKP) holds and how it is checked, for the endpoints and the imports
//! alike: work results (RHK) with indicators, realisations with evidence, and the draft a plan
//! starts as.

use chrono::Utc;
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::limits::{is_clean_text, is_quantity, MAX_EVIDENCE, MAX_INDICATORS_PER_RESULT, MAX_QUANTITY};
use kinerja_domain::rule_sets::Aspect;
use kinerja_domain::skp::{Approach, BerAkhlak, Perspective, ResultKind};
use kinerja_domain::workflow::PlanStatus;
use kinerja_store::coded::Coded;
use kinerja_store::plan_rows::{ExpectationRow, IndicatorRow, PlanRow, ResultRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::checks::{check_evidence, present, text_error, Evidence, HIDDEN_CHARACTERS};
use crate::http::error::FieldError;

/// A new plan: a draft, revision 1, rated by `rater_id` (the supervisor, unless an admin named
/// another official) whose own supervisor is `rater_supervisor_id`.
pub fn draft_plan(
    agency_id: Uuid,
    employee_id: Uuid,
    period_id: Uuid,
    approach: Approach,
    rater_id: Option<Uuid>,
    rater_supervisor_id: Option<Uuid>,
) -> PlanRow {
    let now = Utc::now();
    PlanRow {
        id: Uuid::now_v7(),
        agency_id,
        employee_id,
        period_id,
        revision: 1,
        approach: Coded(approach),
        status: Coded(PlanStatus::Draft),
        rater_id,
        rater_supervisor_id,
        rater_override_reason: None,
        return_reason: None,
        annex: serde_json::json!({}),
        superseded_by: None,
        created_at: now,
        updated_at: now,
    }
}

/// A new plan expects all seven BerAKHLAK values, none with a specific expectation yet.
pub fn default_expectations(agency_id: Uuid, plan_id: Uuid) -> Vec<ExpectationRow> {
    BerAkhlak::ALL.iter().map(|v| ExpectationRow { agency_id, plan_id, value: Coded(*v), expectation: None }).collect()
}

/// The audit event of a plan's creation.
pub fn created_event(
    actor: &crate::context::audit_actor::AuditActor,
    plan: &PlanRow,
) -> kinerja_store::audit_rows::NewAuditEvent {
    let summary = serde_json::json!({"employee_id": plan.employee_id, "period_id": plan.period_id,
                                     "rater_id": plan.rater_id, "rater_override_reason": plan.rater_override_reason});
    actor.event(AuditEntity::Plan, plan.id, "create", Some(plan.agency_id), None, Some(&summary))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorInput {
    #[schema(example = "Persentase sekolah yang terakreditasi", min_length = 1, max_length = 2000)]
    pub description: String,
    pub aspect: Aspect,
    /// Kuantitatif plans: the number to reach.
    #[serde(default)]
    #[schema(example = 90)]
    pub target_value: Option<f64>,
    #[serde(default)]
    #[schema(example = "persen")]
    pub target_unit: Option<String>,
    /// Kualitatif plans: the target in words.
    #[serde(default)]
    pub target_text: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "utama", "description": "Meningkatnya mutu satuan pendidikan dasar", "parent_result_id": "0193a0c2-0000-7000-8000-000000004001", "indicators": [{"description": "Persentase sekolah yang terakreditasi", "aspect": "kuantitas", "target_value": 90, "target_unit": "persen"}]}))]
pub struct ResultInput {
    pub kind: ResultKind,
    #[schema(example = "Meningkatnya mutu layanan pendidikan dasar", min_length = 1, max_length = 2000)]
    pub description: String,
    /// A result in the rating official's plan for the same period.
    #[serde(default)]
    pub parent_result_id: Option<Uuid>,
    /// JPT plans only, and required there.
    #[serde(default)]
    pub perspective: Option<Perspective>,
    #[schema(min_items = 1, max_items = 50)]
    pub indicators: Vec<IndicatorInput>,
}

/// A partial change of a result (`PATCH`): only the fields it names change; `null` clears
/// `parent_result_id` or `perspective`; `indicators`, when named, replaces them all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Meningkatnya mutu layanan pendidikan dasar dan menengah"}))]
pub struct ResultPatch {
    pub kind: Option<ResultKind>,
    #[schema(min_length = 1, max_length = 2000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_result_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Perspective>)]
    pub perspective: Option<Option<Perspective>>,
    #[schema(min_items = 1, max_items = 50)]
    pub indicators: Option<Vec<IndicatorInput>>,
}

impl ResultPatch {
    /// The result as it would be, `current` with this change merged on, to check whole; and
    /// whether the indicators are replaced.
    pub fn merged_onto(self, current: &ResultRow, indicators: &[IndicatorRow]) -> (ResultInput, bool) {
        let replaces_indicators = self.indicators.is_some();
        let kept = || {
            indicators
                .iter()
                .map(|i| IndicatorInput {
                    description: i.description.clone(),
                    aspect: i.aspect.0,
                    target_value: i.target_value,
                    target_unit: i.target_unit.clone(),
                    target_text: i.target_text.clone(),
                })
                .collect()
        };
        let input = ResultInput {
            kind: self.kind.unwrap_or(current.kind.0),
            description: self.description.unwrap_or_else(|| current.description.clone()),
            parent_result_id: self.parent_result_id.unwrap_or(current.parent_result_id),
            perspective: self.perspective.unwrap_or(current.perspective.map(|p| p.0)),
            indicators: self.indicators.unwrap_or_else(kept),
        };
        (input, replaces_indicators)
    }
}

/// The checks of a result that need no lookup: text, targets by approach (kuantitatif: numbers,
/// kualitatif: words), a perspective for JPT plans and for them only.
pub fn result_errors(quantitative: bool, jpt: bool, input: &ResultInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    errors.extend(text_error("description", &input.description, 2000));
    if input.indicators.is_empty() {
        errors.push(FieldError::new("indicators", "required", "a result needs at least one indicator"));
    }
    if input.indicators.len() > MAX_INDICATORS_PER_RESULT {
        let message = format!("at most {MAX_INDICATORS_PER_RESULT} indicators per result");
        errors.push(FieldError::new("indicators", "too_many", message));
        return errors;
    }
    for (i, indicator) in input.indicators.iter().enumerate() {
        errors.extend(text_error(format!("indicators[{i}].description"), &indicator.description, 2000));
        for (name, text) in [("target_unit", &indicator.target_unit), ("target_text", &indicator.target_text)] {
            if let Some(text) = text.as_deref().filter(|t| !t.is_empty()) {
                errors.extend(text_error(format!("indicators[{i}].{name}"), text, 2000));
            }
        }
        match (quantitative, indicator.target_value, indicator.target_text.as_deref()) {
            (true, None, _) => errors.push(FieldError::new(
                format!("indicators[{i}].target_value"),
                "required",
                "a kuantitatif plan has numeric targets",
            )),
            (_, Some(v), _) if !is_quantity(v) => errors.push(FieldError::new(
                format!("indicators[{i}].target_value"),
                "out_of_range",
                format!("must be a number from 0 to {MAX_QUANTITY:e}"),
            )),
            (false, _, None | Some("")) => errors.push(FieldError::new(
                format!("indicators[{i}].target_text"),
                "required",
                "a kualitatif plan describes its targets",
            )),
            _ => {}
        }
    }
    match (jpt, input.perspective) {
        (true, None) => errors.push(FieldError::new("perspective", "required", "a JPT groups results by perspective")),
        (false, Some(_)) => {
            errors.push(FieldError::new("perspective", "not_allowed", "only JPT plans have perspectives"))
        }
        _ => {}
    }
    errors
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RealizationInput {
    pub indicator_id: Uuid,
    /// The number reached (kuantitatif plans).
    #[serde(default)]
    pub value: Option<f64>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

/// Checks a realisation's own fields (value, text, evidence); `at` prefixes the field names.
pub fn realization_errors(at: &str, r: &RealizationInput) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if r.value.is_some_and(|v| !is_quantity(v)) {
        errors.push(FieldError::new(
            format!("{at}value"),
            "out_of_range",
            format!("a number from 0 to {MAX_QUANTITY:e}"),
        ));
    }
    if r.text.as_deref().is_some_and(|t| t.chars().count() > 4000) {
        errors.push(FieldError::new(format!("{at}text"), "too_long", "at most 4000 characters"));
    } else if r.text.as_deref().is_some_and(|t| !is_clean_text(t)) {
        errors.push(FieldError::new(format!("{at}text"), "invalid_character", HIDDEN_CHARACTERS));
    }
    if r.evidence.len() > MAX_EVIDENCE {
        errors.push(FieldError::new(
            format!("{at}evidence"),
            "too_many",
            format!("at most {MAX_EVIDENCE} pieces of evidence"),
        ));
        return errors;
    }
    for (j, e) in r.evidence.iter().enumerate() {
        errors.extend(check_evidence(&format!("{at}evidence[{j}]"), e));
    }
    errors
}

/// The rule of which plan is evaluated: the current one, once approved.
pub const ONLY_APPROVED: &str = "only the current approved plan is evaluated";
