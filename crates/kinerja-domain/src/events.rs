//! What the outside world hears about (the transactional outbox read by the event feed and,
//! later, webhooks): which audited acts are events, their type names and where to read their
//! subject. An event is written in the same transaction as the act it reports, so a change
//! rolled back reports nothing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::AuditEntity;

/// The kind of an event, `{resource}.{what happened}` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    #[serde(rename = "employee.created")]
    EmployeeCreated,
    #[serde(rename = "employee.updated")]
    EmployeeUpdated,
    /// Another unit, position or supervisor.
    #[serde(rename = "employee.moved")]
    EmployeeMoved,
    #[serde(rename = "plan.approved")]
    PlanApproved,
    #[serde(rename = "evaluation.rated")]
    EvaluationRated,
    #[serde(rename = "final_rating.issued")]
    FinalRatingIssued,
    #[serde(rename = "final_rating.calibrated")]
    FinalRatingCalibrated,
    #[serde(rename = "objection.decided")]
    ObjectionDecided,
    #[serde(rename = "assessment.recorded")]
    AssessmentRecorded,
    #[serde(rename = "import.finished")]
    ImportFinished,
}

impl EventType {
    pub const ALL: [EventType; 10] = [
        EventType::EmployeeCreated,
        EventType::EmployeeUpdated,
        EventType::EmployeeMoved,
        EventType::PlanApproved,
        EventType::EvaluationRated,
        EventType::FinalRatingIssued,
        EventType::FinalRatingCalibrated,
        EventType::ObjectionDecided,
        EventType::AssessmentRecorded,
        EventType::ImportFinished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::EmployeeCreated => "employee.created",
            EventType::EmployeeUpdated => "employee.updated",
            EventType::EmployeeMoved => "employee.moved",
            EventType::PlanApproved => "plan.approved",
            EventType::EvaluationRated => "evaluation.rated",
            EventType::FinalRatingIssued => "final_rating.issued",
            EventType::FinalRatingCalibrated => "final_rating.calibrated",
            EventType::ObjectionDecided => "objection.decided",
            EventType::AssessmentRecorded => "assessment.recorded",
            EventType::ImportFinished => "import.finished",
        }
    }

    /// What happened, in words for the integrator.
    pub fn meaning(self) -> &'static str {
        match self {
            EventType::EmployeeCreated => "An employee was registered (by hand or by an import)",
            EventType::EmployeeUpdated => "An employee's record changed, not their place",
            EventType::EmployeeMoved => "An employee has another unit, position or supervisor",
            EventType::PlanApproved => "A performance plan (SKP) was approved by its rating official",
            EventType::EvaluationRated => "A periodic evaluation was rated",
            EventType::FinalRatingIssued => "A plan's annual rating and predikat were set",
            EventType::FinalRatingCalibrated => "An annual predikat was changed at calibration",
            EventType::ObjectionDecided => "An objection (keberatan) to a rating was decided",
            EventType::AssessmentRecorded => "A competency assessment was given or replaced",
            EventType::ImportFinished => "A bulk import was written",
        }
    }

    pub fn parse(code: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == code)
    }

    /// The event an audited act is, if the outside world hears of it. `moved`: the act changed
    /// an employee's unit, position or supervisor.
    pub fn of(entity: AuditEntity, action: &str, moved: bool) -> Option<EventType> {
        Some(match (entity, action) {
            (AuditEntity::Employee, "create") => EventType::EmployeeCreated,
            (AuditEntity::Employee, "update") if moved => EventType::EmployeeMoved,
            (AuditEntity::Employee, "update") => EventType::EmployeeUpdated,
            (AuditEntity::Plan, "approve") => EventType::PlanApproved,
            (AuditEntity::Evaluation, "rate") => EventType::EvaluationRated,
            (AuditEntity::FinalRating, "rate") => EventType::FinalRatingIssued,
            (AuditEntity::FinalRating, "calibrate") => EventType::FinalRatingCalibrated,
            (AuditEntity::Objection, "decide") => EventType::ObjectionDecided,
            (AuditEntity::CompetencyAssessment, "create" | "replace") => EventType::AssessmentRecorded,
            (AuditEntity::Import, _) => EventType::ImportFinished,
            _ => return None,
        })
    }

    /// Where the subject is read as it now is (API paths), when it has a path of its own.
    pub fn link(self, subject: Uuid) -> Option<String> {
        match self {
            EventType::EmployeeCreated | EventType::EmployeeUpdated | EventType::EmployeeMoved => {
                Some(format!("/api/v1/employees/{subject}"))
            }
            EventType::PlanApproved => Some(format!("/api/v1/performance-plans/{subject}")),
            EventType::FinalRatingIssued | EventType::FinalRatingCalibrated => {
                Some(format!("/api/v1/performance-plans/{subject}/final-rating"))
            }
            EventType::ObjectionDecided => Some(format!("/api/v1/objections/{subject}")),
            EventType::AssessmentRecorded => Some(format!("/api/v1/competency-assessments/{subject}")),
            // An evaluation is read under its plan; its event carries what was rated.
            EventType::EvaluationRated | EventType::ImportFinished => None,
        }
    }
}

/// The employee fields whose change is a move.
pub const MOVE_FIELDS: [&str; 3] = ["unit_id", "position_id", "supervisor_id"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audited_acts_map_to_events() {
        assert_eq!(EventType::of(AuditEntity::Employee, "update", true), Some(EventType::EmployeeMoved));
        assert_eq!(EventType::of(AuditEntity::Employee, "update", false), Some(EventType::EmployeeUpdated));
        assert_eq!(EventType::of(AuditEntity::Plan, "submit", false), None, "a draft's steps stay inside");
        assert_eq!(EventType::of(AuditEntity::Import, "employees", false), Some(EventType::ImportFinished));
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
    }
}
