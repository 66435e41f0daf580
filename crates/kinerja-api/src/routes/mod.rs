//! Route registration: every handler is annotated for OpenAPI and registered here once.

mod acting_officials;
mod agencies;
mod appraisal;
mod audit_events;
mod auth;
mod clients;
mod competencies;
mod development;
mod employees;
mod evaluations;
mod events;
mod exports;
mod history;
mod imports;
mod ops;
mod periods;
mod plans;
mod positions;
mod reports;
mod rule_sets;
mod tasks;
mod units;
mod users;
mod webhooks;

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
            .service(clients::get_client)
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
            .route("/employees/by-nip/{nip}", actix_web::web::get().to(employees::get_employee_by_nip_deprecated))
            .service(employees::get_employee)
            .service(employees::update_employee)
            .service(employees::list_subordinates)
            .service(history::get_employee_history)
            .service(audit_events::list_audit_events)
            .service(rule_sets::list_rule_sets)
            .service(rule_sets::get_rule_set)
            .service(rule_sets::evaluate_rule_set)
            .service(periods::list_periods)
            .service(periods::create_period)
            .service(periods::get_period)
            .service(periods::update_period)
            .service(periods::close_period)
            .service(periods::reopen_period)
            .service(events::list_events)
            .service(webhooks::list_webhooks)
            .service(webhooks::create_webhook)
            .service(webhooks::get_webhook)
            .service(webhooks::update_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::rotate_webhook_secret)
            .service(webhooks::list_webhook_deliveries)
            .service(webhooks::replay_webhook_delivery)
            .service(tasks::list_my_tasks)
            .service(tasks::summarise_my_tasks)
            .service(acting_officials::list_acting_officials)
            .service(acting_officials::create_acting_official)
            .service(acting_officials::get_acting_official)
            .service(acting_officials::update_acting_official)
            .service(acting_officials::delete_acting_official)
            .service(plans::lifecycle::list_plans)
            .service(plans::lifecycle::create_plan)
            .service(plans::lifecycle::get_plan)
            .service(plans::contents::add_result)
            .service(plans::contents::update_result)
            .service(plans::contents::delete_result)
            .service(plans::contents::replace_behaviour_expectations)
            .service(plans::contents::replace_annex)
            .service(plans::contents::override_rater)
            .service(plans::lifecycle::submit_plan)
            .service(plans::lifecycle::approve_plan)
            .service(plans::lifecycle::return_plan)
            .service(plans::lifecycle::revise_plan)
            .service(plans::cascade::get_cascade)
            .service(evaluations::create_evaluation)
            .service(evaluations::get_evaluation)
            .service(evaluations::rate_evaluation)
            .service(evaluations::create_feedback)
            .service(evaluations::get_feedback)
            .service(evaluations::list_feedback)
            .service(appraisal::final_rating::give_final_rating)
            .service(appraisal::final_rating::get_final_rating)
            .service(appraisal::calibration::calibrate_final_rating)
            .service(appraisal::curve::replace_organisation_rating)
            .service(appraisal::curve::get_organisation_rating)
            .service(appraisal::curve::get_unit_distribution)
            .service(appraisal::objections::file_objection)
            .service(appraisal::objections::list_objections)
            .service(appraisal::objections::get_objection)
            .service(appraisal::objections::record_explanation)
            .service(appraisal::objections::decide_objection)
            .service(reports::get_participation_report)
            .service(reports::get_national_report)
            .service(reports::get_predikat_report)
            .service(reports::export_national_skp)
            .service(imports::import_records)
            .service(exports::export_ratings)
            .service(exports::export_records)
            .service(competencies::dictionary::list_competencies)
            .service(competencies::dictionary::create_competency)
            .service(competencies::dictionary::get_competency)
            .service(competencies::dictionary::update_competency)
            .service(competencies::standards::get_competency_requirements)
            .service(competencies::standards::replace_competency_requirements)
            .service(competencies::standards::get_default_requirements)
            .service(competencies::standards::replace_default_requirements)
            .service(competencies::assessments::get_competency_assessors)
            .service(competencies::assessments::replace_competency_assessors)
            .service(competencies::assessments::submit_assessment)
            .service(competencies::assessments::list_assessments)
            .service(competencies::assessments::get_assessment)
            .service(competencies::profile::get_competency_profile)
            .service(development::plan::list_development_activities)
            .service(development::plan::create_development_activity)
            .service(development::plan::update_development_activity)
            .service(development::plan::suggest_development_activities)
            .service(development::training_needs::list_training_needs)
            .service(development::talent_map::get_talent_map),
    );
}
