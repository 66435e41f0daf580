//! The audit trail, read-only.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use kinerja_domain::audit::{ActorKind, AuditEntity};
use kinerja_domain::AccountAction;
use kinerja_store::audit_rows::{self, AuditEventRow, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventView {
    id: Uuid,
    at: DateTime<Utc>,
    actor_kind: ActorKind,
    actor_id: Option<Uuid>,
    agency_id: Option<Uuid>,
    entity: AuditEntity,
    entity_id: Option<Uuid>,
    #[schema(example = "update")]
    action: String,
    /// What changed: on an update each changed field as `{"old": …, "new": …}`; on a creation
    /// or an act, the values it recorded.
    #[schema(value_type = std::collections::BTreeMap<String, serde_json::Value>, example = json!({"supervisor_id": {"old": null, "new": "0192f0a0-0000-7000-8000-000000000001"}}))]
    changes: serde_json::Value,
    request_id: Option<String>,
    /// The employee whose act this was, when the actor did it in their stead (an acting
    /// official, Plt/Plh): "by `actor_id` acting for `acting_for`".
    acting_for: Option<Uuid>,
}

impl From<AuditEventRow> for AuditEventView {
    fn from(e: AuditEventRow) -> Self {
        AuditEventView {
            id: e.id,
            at: e.at,
            actor_kind: e.actor_kind.0,
            actor_id: e.actor_id,
            agency_id: e.agency_id,
            entity: e.entity.0,
            entity_id: e.entity_id,
            action: e.action,
            changes: e.changes,
            request_id: e.request_id,
            acting_for: e.acting_for,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only events about this kind of record.
    entity: Option<AuditEntity>,
    entity_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    /// Super admins only; everyone else sees their own agency.
    agency_id: Option<Uuid>,
}

/// List audit events, oldest first.
///
/// Who changed what, when, from what to what — oldest first. Append-only: nothing in the API
/// changes or deletes an event, and the table refuses it.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = [])),
    params(AuditQuery, PageParams),
    responses((status = 200, description = "A page of events", body = Page<AuditEventView>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/audit-events")]
pub(super) async fn list_audit_events(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<AuditQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<AuditEventView>>, ApiError> {
    let request = page.parse()?;
    let query = query.into_inner();
    let agency_id = if caller.is_super_admin() { query.agency_id } else { caller.agency_id() };
    // Auditors and agency admins read their agency's trail; super admins everyone's.
    if !caller.actor.may_on_accounts(AccountAction::Read, agency_id)
        || (!caller.is_super_admin() && agency_id.is_none())
    {
        return Err(ApiError::Forbidden("the audit trail is for admins and auditors"));
    }
    if query.agency_id.is_some() && query.agency_id != agency_id {
        return Err(ApiError::Forbidden("you may read your own agency's trail only"));
    }
    let filter = AuditFilter {
        agency_id,
        entity: query.entity,
        entity_id: query.entity_id,
        actor_id: query.actor_id,
        after: request.after,
        limit: request.fetch(),
    };
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = audit_rows::list(&mut conn, filter).await?;
    Ok(web::Json(Page::from_rows(rows, request, |e| e.id, AuditEventView::from)))
}
