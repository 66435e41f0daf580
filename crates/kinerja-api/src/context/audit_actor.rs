//! Who an audit event names as acting, and the event a write records (the store writes it in the
//! same transaction as the write, `kinerja_store::audit_rows`).

use kinerja_domain::audit::{ActorKind, AuditEntity};
use kinerja_store::audit_rows::{changes, NewAuditEvent};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// Who acts: a user, an integration client, the system (CLI, start-up) or an anonymous caller
/// (a failed login).
#[derive(Debug, Clone)]
pub struct AuditActor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    pub request_id: Option<String>,
    /// The official the actor stands in for in this act (an acting official).
    pub acting_for: Option<Uuid>,
}

impl AuditActor {
    pub fn system() -> Self {
        AuditActor { kind: ActorKind::System, id: None, request_id: None, acting_for: None }
    }

    pub fn anonymous(request_id: Option<String>) -> Self {
        AuditActor { kind: ActorKind::Anonymous, id: None, request_id, acting_for: None }
    }

    /// An event about `entity` `id`, with the fields that differ between `before` and `after`
    /// (either may be absent: a creation or a deletion).
    pub fn event<T: Serialize>(
        &self,
        entity: AuditEntity,
        id: Uuid,
        action: &'static str,
        agency_id: Option<Uuid>,
        before: Option<&T>,
        after: Option<&T>,
    ) -> NewAuditEvent {
        let json = |v: Option<&T>| v.and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null);
        self.raw(entity, Some(id), action, agency_id, changes(&json(before), &json(after)))
    }

    pub fn raw(
        &self,
        entity: AuditEntity,
        entity_id: Option<Uuid>,
        action: &'static str,
        agency_id: Option<Uuid>,
        changes: Value,
    ) -> NewAuditEvent {
        NewAuditEvent {
            id: Uuid::now_v7(),
            actor_kind: self.kind.as_str(),
            actor_id: self.id,
            agency_id,
            entity: entity.as_str(),
            entity_id,
            action,
            changes,
            request_id: self.request_id.clone(),
            acting_for: self.acting_for,
        }
    }
}
