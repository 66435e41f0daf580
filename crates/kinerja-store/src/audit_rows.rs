//! The append-only audit trail: who changed what, when, from what to what.

use crate::coded::Coded;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use kinerja_domain::audit::{ActorKind, AuditEntity};
use kinerja_domain::events::{EventType, MOVE_FIELDS};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::outbox_rows::NewEvent;
use crate::schema::audit_events;

#[derive(Debug, Clone, Insertable)]
// None is NULL (the columns have no other default), which also lets imports `COPY` events.
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct NewAuditEvent {
    pub id: Uuid,
    pub actor_kind: &'static str,
    pub actor_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
    pub entity: &'static str,
    pub entity_id: Option<Uuid>,
    pub action: &'static str,
    pub changes: Value,
    pub request_id: Option<String>,
    /// The official the actor stood in for (an acting official's act).
    pub acting_for: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_kind: Coded<ActorKind>,
    pub actor_id: Option<Uuid>,
    pub agency_id: Option<Uuid>,
    pub entity: Coded<AuditEntity>,
    pub entity_id: Option<Uuid>,
    pub action: String,
    pub changes: Value,
    pub request_id: Option<String>,
    pub acting_for: Option<Uuid>,
}

impl NewAuditEvent {
    /// The event an audited act is, if any: an agency's act of a kind the outside world hears of.
    /// Its data: what changed, and where the subject is read as it now is.
    pub fn outward(&self) -> Option<NewEvent> {
        let entity = AuditEntity::ALL.into_iter().find(|e| e.as_str() == self.entity)?;
        let moved = MOVE_FIELDS.iter().any(|f| self.changes.get(*f).is_some());
        let event_type = EventType::of(entity, self.action, moved)?;
        let agency_id = self.agency_id?;
        let link = self.entity_id.and_then(|id| event_type.link(id));
        Some(NewEvent {
            event_id: self.id,
            event_type: event_type.as_str(),
            agency_id,
            subject_id: self.entity_id,
            data: json!({"changes": self.changes, "link": link}),
        })
    }
}

/// Records an act in the audit trail and, when the outside world hears of it, its event in the
/// outbox (`crate::outbox_rows`): one transaction, the caller's.
pub async fn record(conn: &mut AsyncPgConnection, event: NewAuditEvent) -> StoreResult<()> {
    let outward = event.outward();
    diesel::insert_into(audit_events::table).values(event).execute(conn).await?;
    if let Some(outward) = outward {
        crate::outbox_rows::emit(conn, &outward).await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// `None`: every agency (super admins only).
    pub agency_id: Option<Uuid>,
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// A keyset page of events, oldest first.
pub async fn list(conn: &mut AsyncPgConnection, filter: AuditFilter) -> StoreResult<Vec<AuditEventRow>> {
    let mut query =
        audit_events::table.select(AuditEventRow::as_select()).order(audit_events::id).limit(filter.limit).into_boxed();
    if let Some(agency) = filter.agency_id {
        query = query.filter(audit_events::agency_id.eq(agency));
    }
    if let Some(entity) = filter.entity {
        query = query.filter(audit_events::entity.eq(Coded(entity)));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(id));
    }
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(after) = filter.after {
        query = query.filter(audit_events::id.gt(after));
    }
    Ok(query.load(conn).await?)
}

/// The fields that differ between two JSON objects, as `{field: {"old": …, "new": …}}`. A
/// creation diffs against `null`, a deletion against `null` on the other side.
pub fn changes(old: &Value, new: &Value) -> Value {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    let mut out = Map::new();
    for field in fields {
        if matches!(field.as_str(), "updated_at" | "created_at") {
            continue;
        }
        let (before, after) = (old.get(field).unwrap_or(&Value::Null), new.get(field).unwrap_or(&Value::Null));
        if before != after {
            out.insert(field.clone(), serde_json::json!({"old": before, "new": after}));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_list_only_what_differs() {
        let old = json!({"name": "Dinas Pendidikan", "code": "DISDIK", "updated_at": "x"});
        let new = json!({"name": "Dinas Pendidikan dan Kebudayaan", "code": "DISDIK", "updated_at": "y"});
        assert_eq!(
            changes(&old, &new),
            json!({"name": {"old": "Dinas Pendidikan", "new": "Dinas Pendidikan dan Kebudayaan"}})
        );
        assert_eq!(changes(&Value::Null, &json!({"a": 1})), json!({"a": {"old": null, "new": 1}}));
        assert_eq!(changes(&json!({"a": 1}), &Value::Null), json!({"a": {"old": 1, "new": null}}));
    }
}
