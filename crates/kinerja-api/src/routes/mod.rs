//! Route registration: every handler is annotated for OpenAPI and registered here once.

mod agencies;
mod appraisal;
mod audit_events;
mod auth;
mod clients;
mod competencies;
mod development;
mod employees;
mod evaluations;
mod exports;
mod imports;
mod ops;
mod periods;
mod plans;
mod positions;
mod reports;
mod rule_sets;
mod units;
mod users;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(ops::check_health).service(ops::check_readiness).service(ops::get_metrics).service(
        scope::scope("/api/v1")
            .service(auth::log_in)
            .service(auth::refresh_tokens)
            .service(auth::log_out)
            .service(auth::issue_client_token)
            .service(auth::get_caller)
            .service(users::list_users)
            .service(users::create_user)
            .service(users::get_user)
            .service(users::update_user)
            .service(clients::list_clients)
            .service(clients::create_client)
            .service(clients::delete_client)
            .service(agencies::list_agencies)
            .service(agencies::create_agency)
            .service(agencies::get_agency)
            .service(agencies::update_agency)
            .service(units::list_units)
            .service(units::create_unit)
            .service(units::get_unit)
            .service(units::update_unit)
            .service(units::delete_unit)
            .service(units::get_unit_tree)
            .service(positions::list_positions)
            .service(positions::create_position)
            .service(positions::get_position)
            .service(positions::update_position)
            .service(employees::list_employees)
            .service(employees::create_employee)
            .service(employees::get_employee_by_nip)
            .service(employees::get_employee)
            .service(employees::update_employee)
            .service(employees::list_subordinates)
            .service(audit_events::list_audit_events)
            .service(rule_sets::list_rule_sets)
            .service(rule_sets::get_rule_set)
            .service(rule_sets::evaluate_rule_set)
            .service(periods::list_periods)
            .service(periods::create_period)
            .service(periods::get_period)
            .service(periods::update_period)
            .service(plans::list_plans)
            .service(plans::create_plan)
            .service(plans::get_plan)
            .service(plans::add_result)
            .service(plans::update_result)
            .service(plans::delete_result)
            .service(plans::replace_behaviour_expectations)
            .service(plans::replace_annex)
            .service(plans::override_rater)
            .service(plans::submit_plan)
            .service(plans::approve_plan)
            .service(plans::return_plan)
            .service(plans::revise_plan)
            .service(plans::get_cascade)
            .service(evaluations::create_evaluation)
            .service(evaluations::get_evaluation)
            .service(evaluations::rate_evaluation)
            .service(evaluations::create_feedback)
            .service(evaluations::list_feedback)
            .service(appraisal::give_final_rating)
            .service(appraisal::get_final_rating)
            .service(appraisal::calibrate_final_rating)
            .service(appraisal::replace_organisation_rating)
            .service(appraisal::get_organisation_rating)
            .service(appraisal::get_unit_distribution)
            .service(appraisal::file_objection)
            .service(appraisal::list_objections)
            .service(appraisal::get_objection)
            .service(appraisal::record_explanation)
            .service(appraisal::decide_objection)
            .service(reports::get_participation_report)
            .service(reports::get_predikat_report)
            .service(reports::export_national_skp)
            .service(imports::import_records)
            .service(exports::export_ratings)
            .service(exports::export_records)
            .service(competencies::list_competencies)
            .service(competencies::create_competency)
            .service(competencies::get_competency)
            .service(competencies::update_competency)
            .service(competencies::get_competency_requirements)
            .service(competencies::replace_competency_requirements)
            .service(competencies::get_default_requirements)
            .service(competencies::replace_default_requirements)
            .service(competencies::get_competency_assessors)
            .service(competencies::replace_competency_assessors)
            .service(competencies::submit_assessment)
            .service(competencies::list_assessments)
            .service(competencies::get_assessment)
            .service(competencies::get_competency_profile)
            .service(development::list_development_activities)
            .service(development::create_development_activity)
            .service(development::update_development_activity)
            .service(development::suggest_development_activities)
            .service(development::list_training_needs)
            .service(development::get_talent_map),
    );
}
