//! An event as the outside world reads it: in the event feed and as a webhook's body.

use chrono::{DateTime, Utc};
use kinerja_domain::events::EventType;
use kinerja_store::outbox_rows::EventRow;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Stable: the same event always has this id (deliveries and replays too).
    pub id: Uuid,
    #[serde(rename = "type")]
    event_type: EventType,
    agency_id: Uuid,
    /// What the event is about (none for an import).
    subject_id: Option<Uuid>,
    occurred_at: DateTime<Utc>,
    /// `changes`: what changed; `link`: where the subject is read as it now is (or null).
    #[schema(value_type = std::collections::BTreeMap<String, serde_json::Value>, example = json!({"changes": {"predikat": {"old": null, "new": "baik"}}, "link": "/api/v1/performance-plans/0193a0c2-0000-7000-8000-00000000p001/final-rating"}))]
    data: serde_json::Value,
}

impl From<EventRow> for EventView {
    fn from(row: EventRow) -> Self {
        EventView {
            id: row.event_id,
            event_type: row.event_type.0,
            agency_id: row.agency_id,
            subject_id: row.subject_id,
            occurred_at: row.occurred_at,
            data: row.data,
        }
    }
}
