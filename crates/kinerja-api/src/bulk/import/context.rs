//! What rows of performance results and realisations are checked against: the period's
//! employees with their plans, and what the file has said so far of each plan.

use crate::http::checks::Evidence;
use crate::http::error::FieldError;
use crate::http::error::ProblemCode;
use crate::services::plan_contents::{self, IndicatorInput, RealizationInput, ResultInput};

use kinerja_domain::rule_sets::Aspect;
use kinerja_domain::skp::{Approach, Perspective, ResultKind};
use kinerja_domain::workflow::PlanStatus;
use kinerja_store::audit_rows::NewAuditEvent;
use kinerja_store::bulk::{self, StagedRealization, StagedResult, StagedRow, SyncPgConnection};
use kinerja_store::plan_rows::{ExpectationRow, PeriodRow, PlanRow};

use std::collections::HashMap;
use uuid::Uuid;

use super::Failure;

/// What rows of performance results are checked against: the employees of the period's agency
/// with their current plan, and what the file has said so far of each employee's plan.
pub(super) struct PlanContext {
    period: Uuid,
    agency: Uuid,
    /// The period's sub-period labels (`2026-Q1`, …), by its cadence.
    labels: Vec<String>,
    facts: HashMap<String, bulk::PlanFacts>,
    /// Each employee's plan approach in the file, and the line that first gave it.
    approaches: HashMap<Uuid, (Approach, i64)>,
}

impl PlanContext {
    pub(super) fn load(conn: &mut SyncPgConnection, period: &PeriodRow) -> Result<Self, Failure> {
        let facts =
            bulk::plan_facts(conn, period.agency_id, period.id)?.into_iter().map(|f| (f.nip.clone(), f)).collect();
        let labels = period.cadence.0.labels(period.starts_on, period.ends_on);
        Ok(PlanContext { period: period.id, agency: period.agency_id, labels, facts, approaches: HashMap::new() })
    }

    /// The employee a line names by NIP, or why none.
    pub(super) fn employee<'a>(
        facts: &'a HashMap<String, bulk::PlanFacts>,
        value: &dyn Fn(&str) -> Option<String>,
    ) -> Result<&'a bulk::PlanFacts, Vec<FieldError>> {
        let nip = value("nip");
        nip.as_ref().and_then(|nip| facts.get(nip)).ok_or_else(|| match nip {
            Some(_) => vec![FieldError::new("nip", "not_found", "no employee with that NIP in the period's agency")],
            None => Vec::new(),
        })
    }

    /// One line of realisations: the single endpoint's checks ([`plan_contents::realization_errors`]),
    /// of the employee's current plan, which must be approved.
    pub(super) fn stage_realization(
        &self,
        line: i64,
        value: &dyn Fn(&str) -> Option<String>,
    ) -> Result<StagedRow, Vec<FieldError>> {
        let facts = Self::employee(&self.facts, value)?;
        let mut errors = Vec::new();
        if !facts.plan_status.is_some_and(|s| s.0.is_evaluated()) {
            let status = facts.plan_status.map_or("not started", |s| s.0.as_str());
            let message = format!("{}; the employee's plan is {status}", plan_contents::ONLY_APPROVED);
            errors.push(FieldError::new("nip", ProblemCode::InvalidTransition.as_str(), message));
        }
        if let Some(label) = value("period_label").filter(|l| !self.labels.contains(l)) {
            let message = format!("'{label}' is not one of {}", self.labels.join(", "));
            errors.push(FieldError::new("period_label", "invalid_period_label", message));
        }
        let number = value("value").map(|v| v.parse::<f64>());
        if matches!(number, Some(Err(_))) {
            errors.push(FieldError::new("value", "invalid_value", "must be a number"));
        }
        let evidence = match value("evidence").map(|e| serde_json::from_str::<Vec<Evidence>>(&e)) {
            None => Vec::new(),
            Some(Ok(list)) => list,
            Some(Err(e)) => {
                let message = format!("a JSON list of {{url, sha256, description}}: {e}");
                errors.push(FieldError::new("evidence", "invalid_value", message));
                Vec::new()
            }
        };
        let input = RealizationInput {
            indicator_id: Uuid::nil(),
            value: number.and_then(Result::ok),
            text: value("text"),
            evidence,
        };
        errors.extend(plan_contents::realization_errors("", &input));
        let (Some(plan_id), true) = (facts.plan_id, errors.is_empty()) else { return Err(errors) };
        Ok(StagedRow::Realization(StagedRealization {
            line,
            id: Uuid::now_v7(),
            evaluation_id: Uuid::now_v7(),
            agency_id: self.agency,
            plan_id,
            period_label: value("period_label").unwrap_or_default(),
            result: value("result").unwrap_or_default(),
            indicator: value("indicator").unwrap_or_default(),
            value: input.value,
            text: input.text,
            evidence: serde_json::to_string(&input.evidence).unwrap_or_else(|_| "[]".into()),
        }))
    }

    /// One line of a results file: the single-record endpoint's own checks of a result
    /// ([`plan_contents::result_errors`]), against the employee's plan or the one the import would start.
    pub(super) fn stage(
        &mut self,
        line: i64,
        value: &dyn Fn(&str) -> Option<String>,
    ) -> Result<StagedRow, Vec<FieldError>> {
        let mut errors = Vec::new();
        let invalid = |field: &str, message: &str| FieldError::new(field, "invalid_value", message);
        let facts = Self::employee(&self.facts, value)?;
        let given = value("approach").map(|a| Approach::parse(&a));
        if given == Some(None) {
            errors.push(invalid("approach", "kuantitatif or kualitatif"));
        }
        let current = facts.plan_approach.map(|a| a.0);
        if let Some(status) = facts.plan_status.map(|s| s.0.as_str()) {
            if !PlanStatus::parse(status).is_some_and(PlanStatus::is_editable) {
                let message =
                    format!("the employee's plan is {status}; results are edited in a draft (start a new revision)");
                errors.push(FieldError::new("nip", ProblemCode::InvalidTransition.as_str(), message));
            }
        }
        if let (Some(current), Some(Some(given))) = (current, given) {
            if current != given {
                let message = format!("the employee's plan is {}", current.as_str());
                errors.push(FieldError::new("approach", "approach_mismatch", message));
            }
        }
        let approach = current.or(given.flatten()).unwrap_or(Approach::Kuantitatif);
        let (first, first_line) = *self.approaches.entry(facts.employee_id).or_insert((approach, line));
        if first != approach {
            let message = format!("the employee's plan is {} on line {first_line}", first.as_str());
            errors.push(FieldError::new("approach", "inconsistent_plan", message));
        }
        let kind = value("result_kind").map(|k| ResultKind::parse(&k));
        if kind == Some(None) {
            errors.push(invalid("result_kind", "utama or tambahan"));
        }
        let perspective = value("perspective").map(|p| Perspective::parse(&p));
        if perspective == Some(None) {
            errors.push(invalid("perspective", "penerima_layanan, proses_bisnis, penguatan_internal or anggaran"));
        }
        let aspect = value("aspect").map(|a| Aspect::parse(&a));
        if aspect == Some(None) {
            errors.push(invalid("aspect", "kuantitas, kualitas, waktu or biaya"));
        }
        let target_value = value("target_value").map(|v| v.parse::<f64>());
        if matches!(target_value, Some(Err(_))) {
            errors.push(invalid("target_value", "must be a number"));
        }
        let mut input = ResultInput {
            kind: kind.flatten().unwrap_or(ResultKind::Utama),
            description: value("result").unwrap_or_default(),
            parent_result_id: None,
            perspective: perspective.flatten(),
            indicators: vec![IndicatorInput {
                description: value("indicator").unwrap_or_default(),
                aspect: aspect.flatten().unwrap_or(Aspect::Kuantitas),
                target_value: target_value.and_then(Result::ok),
                target_unit: value("target_unit"),
                target_text: value("target_text"),
            }],
        };
        let jpt = facts.position_kind.is_some_and(|k| k.0.is_jpt());
        for mut error in plan_contents::result_errors(approach == Approach::Kuantitatif, jpt, &input) {
            // The endpoint's fields, named as the file's columns.
            error.field = match error.field.as_str() {
                "description" => "result".into(),
                "indicators[0].description" => "indicator".into(),
                other => other.trim_start_matches("indicators[0].").into(),
            };
            errors.push(error);
        }
        let Some(indicator) = input.indicators.pop().filter(|_| errors.is_empty()) else { return Err(errors) };
        Ok(StagedRow::Result(StagedResult {
            line,
            id: Uuid::now_v7(),
            agency_id: self.agency,
            employee_id: facts.employee_id,
            plan_id: facts.plan_id,
            result_kind: input.kind,
            result: input.description.trim().to_owned(),
            parent_result: value("parent_result"),
            perspective: input.perspective,
            indicator_id: Uuid::now_v7(),
            indicator: indicator.description.trim().to_owned(),
            aspect: indicator.aspect,
            target_value: indicator.target_value,
            target_unit: indicator.target_unit,
            target_text: indicator.target_text,
        }))
    }

    /// The draft plans the import starts for employees who have none in the period, rated by
    /// their supervisor as `POST /performance-plans` does.
    pub(super) fn new_plans(
        &self,
        actor: &crate::context::audit_actor::AuditActor,
    ) -> (Vec<PlanRow>, Vec<ExpectationRow>, Vec<NewAuditEvent>) {
        let mut plans_made = Vec::new();
        let mut expectations = Vec::new();
        let mut events = Vec::new();
        for facts in self.facts.values().filter(|f| f.plan_id.is_none()) {
            let Some((approach, _)) = self.approaches.get(&facts.employee_id) else { continue };
            let plan = plan_contents::draft_plan(
                self.agency,
                facts.employee_id,
                self.period,
                *approach,
                facts.supervisor_id,
                facts.supervisor_supervisor_id,
            );
            expectations.extend(plan_contents::default_expectations(plan.agency_id, plan.id));
            events.push(plan_contents::created_event(actor, &plan));
            plans_made.push(plan);
        }
        (plans_made, expectations, events)
    }
}
