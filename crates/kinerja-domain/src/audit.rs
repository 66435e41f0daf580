//! The codes of the audit trail: who acted and what a record is about. Every event the API or an
//! import writes names one of these, so a reader can filter by them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A signed-in user.
    User,
    /// An integration client (client-credentials token).
    Client,
    /// The server itself: the command line, start-up seeding.
    System,
    /// Nobody signed in: a failed login.
    Anonymous,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] = [ActorKind::User, ActorKind::Client, ActorKind::System, ActorKind::Anonymous];

    pub const fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Client => "client",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }
}

/// What an audit event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditEntity {
    Agency,
    Unit,
    Position,
    Employee,
    Period,
    User,
    Client,
    /// A failed login.
    Login,
    Plan,
    Evaluation,
    Feedback,
    FinalRating,
    Objection,
    OrganisationRating,
    Competency,
    CompetencyStandard,
    CompetencyStandardDefault,
    CompetencyAssessors,
    CompetencyAssessment,
    DevelopmentActivity,
    /// A delegation to an acting official (Plt/Plh).
    ActingOfficial,
    /// A bulk import as a whole (its records have their own events).
    Import,
    /// A webhook endpoint (its deliveries are in its own log).
    Webhook,
}

impl AuditEntity {
    pub const ALL: [AuditEntity; 23] = [
        AuditEntity::Agency,
        AuditEntity::Unit,
        AuditEntity::Position,
        AuditEntity::Employee,
        AuditEntity::Period,
        AuditEntity::User,
        AuditEntity::Client,
        AuditEntity::Login,
        AuditEntity::Plan,
        AuditEntity::Evaluation,
        AuditEntity::Feedback,
        AuditEntity::FinalRating,
        AuditEntity::Objection,
        AuditEntity::OrganisationRating,
        AuditEntity::Competency,
        AuditEntity::CompetencyStandard,
        AuditEntity::CompetencyStandardDefault,
        AuditEntity::CompetencyAssessors,
        AuditEntity::CompetencyAssessment,
        AuditEntity::DevelopmentActivity,
        AuditEntity::ActingOfficial,
        AuditEntity::Import,
        AuditEntity::Webhook,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AuditEntity::Agency => "agency",
            AuditEntity::Unit => "unit",
            AuditEntity::Position => "position",
            AuditEntity::Employee => "employee",
            AuditEntity::Period => "period",
            AuditEntity::User => "user",
            AuditEntity::Client => "client",
            AuditEntity::Login => "login",
            AuditEntity::Plan => "plan",
            AuditEntity::Evaluation => "evaluation",
            AuditEntity::Feedback => "feedback",
            AuditEntity::FinalRating => "final_rating",
            AuditEntity::Objection => "objection",
            AuditEntity::OrganisationRating => "organisation_rating",
            AuditEntity::Competency => "competency",
            AuditEntity::CompetencyStandard => "competency_standard",
            AuditEntity::CompetencyStandardDefault => "competency_standard_default",
            AuditEntity::CompetencyAssessors => "competency_assessors",
            AuditEntity::CompetencyAssessment => "competency_assessment",
            AuditEntity::DevelopmentActivity => "development_activity",
            AuditEntity::ActingOfficial => "acting_official",
            AuditEntity::Import => "import",
            AuditEntity::Webhook => "webhook",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored code is the wire code.
    #[test]
    fn codes_match_their_json() {
        for entity in AuditEntity::ALL {
            assert_eq!(serde_json::to_value(entity).unwrap(), entity.as_str());
        }
        for kind in ActorKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
