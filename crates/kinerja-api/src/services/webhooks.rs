//! Webhook endpoints: an agency admin registers a receiver for some event types (the signing
//! secret is shown once), reads each endpoint's delivery log and sends a delivery again. The
//! sending is the background deliverer's (`crate::integration::webhooks::deliverer`).

use chrono::{DateTime, Utc};
use kinerja_domain::access::AccountAction;
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::events::EventType;
use kinerja_domain::webhooks::{DeliveryState, ROTATION_OVERLAP};
use kinerja_store::audit_rows;
use kinerja_store::webhook_rows::{self, DeliveryRow, EndpointRow};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::context::write::{self, record, transaction, Change, IfMatch};
use crate::http::checks::{reject, text_error};
use crate::http::error::{ApiError, ProblemCode};
use crate::http::pagination::{encode_key, invalid_cursor, Page, PageParams};
use crate::integration::webhooks::{check_url_resolving, signature};
use crate::state::AppState;

record!(EndpointRow, AuditEntity::Webhook, audited: WebhookView, agency: |w| Some(w.agency_id),
        lock: webhook_rows::lock, save: webhook_rows::update, insert: webhook_rows::insert);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: Uuid,
    pub agency_id: Uuid,
    #[schema(example = "https://siasn.example.go.id/hooks/kinerja")]
    url: String,
    description: String,
    /// The event types sent; empty: every type.
    event_types: Vec<EventType>,
    /// A disabled endpoint is sent nothing; its pending deliveries wait until it is enabled.
    enabled: bool,
    /// Why it was disabled: by an admin, or because every delivery failed for days.
    disabled_reason: Option<String>,
    /// Since when every delivery has failed (none: the last one succeeded).
    failing_since: Option<DateTime<Utc>>,
    /// After a rotation: until when deliveries are also signed with the previous secret.
    previous_secret_valid_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&EndpointRow> for WebhookView {
    fn from(w: &EndpointRow) -> Self {
        WebhookView {
            id: w.id,
            agency_id: w.agency_id,
            url: w.url.clone(),
            description: w.description.clone(),
            // Only known types are ever stored (checked on the way in).
            event_types: w.event_types.iter().filter_map(|t| EventType::parse(t)).collect(),
            enabled: w.enabled,
            disabled_reason: w.disabled_reason.clone(),
            failing_since: w.failing_since,
            previous_secret_valid_until: w.previous_secret_expires_at.filter(|until| *until > Utc::now()),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The signing secret (Standard Webhooks `whsec_…`): shown this once, never again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=")]
    secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://siasn.example.go.id/hooks/kinerja", "description": "SIASN: ratings and moves", "event_types": ["final_rating.issued", "final_rating.calibrated", "employee.moved"]}))]
pub struct CreateWebhook {
    /// Where events are posted: `https` to a public host.
    #[schema(max_length = 2000)]
    url: String,
    #[schema(max_length = 200)]
    description: Option<String>,
    /// The event types to send (none or empty: every type).
    event_types: Option<Vec<EventType>>,
    /// Super admins: the agency (everyone else registers for their own).
    agency_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct UpdateWebhook {
    #[schema(max_length = 2000)]
    url: Option<String>,
    #[schema(max_length = 200)]
    description: Option<String>,
    event_types: Option<Vec<EventType>>,
    /// Enable a mended endpoint again (its failing record starts afresh), or pause it.
    enabled: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookQuery {
    /// Super admins only; everyone else sees their own agency.
    agency_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    id: i64,
    /// The event (its `webhook-id`).
    event_id: Uuid,
    event_type: EventType,
    state: DeliveryState,
    /// Tries so far.
    attempts: i32,
    /// When it is tried next (pending only).
    next_attempt_at: Option<DateTime<Utc>>,
    last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status at the last try.
    last_status: Option<i32>,
    /// What went wrong at the last try.
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        DeliveryView {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type.0,
            state: d.state.0,
            attempts: d.attempts,
            next_attempt_at: (d.state.0 == DeliveryState::Pending).then_some(d.next_attempt_at),
            last_attempt_at: d.last_attempt_at,
            last_status: d.last_status,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    state: Option<DeliveryState>,
}

/// The endpoint, if the caller may read it (the agency's admins and auditors).
async fn visible_webhook(state: &AppState, caller: &Caller, id: Uuid) -> Result<EndpointRow, ApiError> {
    let mut conn = state.db.conn().await?;
    webhook_rows::get(&mut conn, id)
        .await?
        .filter(|w| caller.actor.may_on_accounts(AccountAction::Read, Some(w.agency_id)))
        .ok_or(ApiError::NotFound("webhook"))
}

fn may_manage(caller: &Caller, agency: Uuid) -> Result<(), ApiError> {
    if caller.actor.may_on_accounts(AccountAction::Manage, Some(agency)) {
        Ok(())
    } else {
        Err(ApiError::Forbidden("webhooks are managed by the agency's admins"))
    }
}

fn event_type_codes(types: Option<Vec<EventType>>) -> Vec<String> {
    let mut codes: Vec<String> = types.unwrap_or_default().into_iter().map(|t| t.as_str().to_owned()).collect();
    codes.sort();
    codes.dedup();
    codes
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    query: WebhookQuery,
    page: PageParams,
) -> Result<Page<WebhookView>, ApiError> {
    let request = page.parse()?;
    let agency = if caller.is_super_admin() {
        query.agency_id
    } else {
        let own = caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?;
        if query.agency_id.is_some_and(|a| a != own) || !caller.actor.may_on_accounts(AccountAction::Read, Some(own)) {
            return Err(ApiError::Forbidden("webhooks are read by the agency's admins and auditors"));
        }
        Some(own)
    };
    let mut conn = state.db.conn().await?;
    let rows = webhook_rows::list(&mut conn, agency, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |w| w.id, |w| WebhookView::from(&w)))
}

pub async fn register(caller: &Caller, state: &AppState, body: CreateWebhook) -> Result<CreatedWebhook, ApiError> {
    let agency_id = match (caller.is_super_admin(), body.agency_id, caller.agency_id()) {
        (true, Some(agency), _) => agency,
        (_, None, Some(own)) => own,
        (false, Some(agency), Some(own)) if agency == own => own,
        (true, None, None) => return Err(ApiError::validation("agency_id", "required", "name the agency")),
        _ => return Err(ApiError::Forbidden("you may register webhooks for your own agency only")),
    };
    may_manage(caller, agency_id)?;
    let mut errors = Vec::new();
    let url =
        check_url_resolving(&body.url, state.webhook_targets).await.map_err(|e| errors.push(e)).unwrap_or_default();
    let description = body.description.unwrap_or_default().trim().to_owned();
    if !description.is_empty() {
        errors.extend(text_error("description", &description, 200));
    }
    reject(errors)?;
    let (secret, shown) = signature::new_secret()?;
    let now = Utc::now();
    let row = EndpointRow {
        id: Uuid::now_v7(),
        agency_id,
        url,
        description,
        event_types: event_type_codes(body.event_types),
        secret,
        enabled: true,
        disabled_reason: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
        previous_secret: None,
        previous_secret_expires_at: None,
    };
    let row = write::create(state, caller, row, async |tx, row| {
        if kinerja_store::org_rows::get_agency(tx, row.agency_id).await?.is_none() {
            return Err(ApiError::validation("agency_id", "not_found", "no such agency"));
        }
        Ok(())
    })
    .await?;
    Ok(CreatedWebhook { webhook: WebhookView::from(&row), secret: shown })
}

pub async fn read(caller: &Caller, state: &AppState, webhook_id: Uuid) -> Result<WebhookView, ApiError> {
    let row = visible_webhook(state, caller, webhook_id).await?;
    Ok(WebhookView::from(&row))
}

pub async fn update(
    caller: &Caller,
    state: &AppState,
    webhook_id: Uuid,
    if_match: &IfMatch,
    body: UpdateWebhook,
) -> Result<WebhookView, ApiError> {
    let visible = visible_webhook(state, caller, webhook_id).await?;
    may_manage(caller, visible.agency_id)?;
    let mut errors = Vec::new();
    let url = match body.url {
        Some(u) => {
            Some(check_url_resolving(&u, state.webhook_targets).await.map_err(|e| errors.push(e)).unwrap_or_default())
        }
        None => None,
    };
    let description = body.description.map(|d| d.trim().to_owned());
    if let Some(d) = description.as_deref().filter(|d| !d.is_empty()) {
        errors.extend(text_error("description", d, 200));
    }
    reject(errors)?;
    let row = write::update(state, caller, if_match, visible.id, "update", async |_, current: &EndpointRow| {
        let mut row = current.clone();
        if let Some(url) = url {
            row.url = url;
        }
        if let Some(description) = description {
            row.description = description;
        }
        if body.event_types.is_some() {
            row.event_types = event_type_codes(body.event_types);
        }
        match body.enabled {
            Some(true) if !current.enabled => {
                row.enabled = true;
                row.disabled_reason = None;
                row.failing_since = None;
            }
            Some(false) if current.enabled => {
                row.enabled = false;
                row.disabled_reason = Some("disabled by an admin".into());
            }
            _ => {}
        }
        Ok(Change::row(row))
    })
    .await?;
    Ok(WebhookView::from(&row))
}

pub async fn rotate_secret(
    caller: &Caller,
    state: &AppState,
    webhook_id: Uuid,
    if_match: &IfMatch,
) -> Result<CreatedWebhook, ApiError> {
    let visible = visible_webhook(state, caller, webhook_id).await?;
    may_manage(caller, visible.agency_id)?;
    let (secret, shown) = signature::new_secret()?;
    let overlap = chrono::TimeDelta::from_std(ROTATION_OVERLAP).map_err(ApiError::internal)?;
    let row = write::update(state, caller, if_match, visible.id, "rotate_secret", async |_, current: &EndpointRow| {
        Ok(Change::row(EndpointRow {
            previous_secret: Some(current.secret.clone()),
            previous_secret_expires_at: Some(Utc::now() + overlap),
            secret,
            ..current.clone()
        }))
    })
    .await?;
    Ok(CreatedWebhook { webhook: WebhookView::from(&row), secret: shown })
}

pub async fn delete(caller: &Caller, state: &AppState, webhook_id: Uuid, if_match: &IfMatch) -> Result<(), ApiError> {
    let visible = visible_webhook(state, caller, webhook_id).await?;
    may_manage(caller, visible.agency_id)?;
    write::delete::<EndpointRow>(state, caller, if_match, visible.id, async |tx, current| {
        Ok(webhook_rows::delete(tx, current.id).await?)
    })
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    items: Vec<DeliveryView>,
    /// Pass as `cursor` for older deliveries; null on the last page.
    next_cursor: Option<String>,
}

pub async fn deliveries(
    caller: &Caller,
    state: &AppState,
    webhook_id: Uuid,
    query: DeliveryQuery,
    page: PageParams,
) -> Result<DeliveryPage, ApiError> {
    let limit = page.checked_limit()?;
    let before = match page.cursor_bytes()? {
        None => None,
        Some(bytes) => Some(i64::from_be_bytes(bytes.try_into().map_err(|_| invalid_cursor("cursor"))?)),
    };
    let endpoint = visible_webhook(state, caller, webhook_id).await?;
    let mut conn = state.db.conn().await?;
    let mut rows = webhook_rows::deliveries(&mut conn, endpoint.id, query.state, before, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = rows.last().filter(|_| more).map(|d| encode_key(&d.id.to_be_bytes()));
    Ok(DeliveryPage { items: rows.into_iter().map(DeliveryView::from).collect(), next_cursor })
}

pub async fn replay(
    caller: &Caller,
    state: &AppState,
    (webhook_id, delivery_id): (Uuid, i64),
) -> Result<DeliveryView, ApiError> {
    let endpoint = visible_webhook(state, caller, webhook_id).await?;
    may_manage(caller, endpoint.agency_id)?;
    let replayed = transaction(state, async |tx| {
        let Some(row) = webhook_rows::replay(tx, endpoint.id, delivery_id).await? else {
            return Err(if webhook_rows::has_delivery(tx, endpoint.id, delivery_id).await? {
                ApiError::Conflict {
                    code: ProblemCode::DeliveryPending,
                    detail: "this delivery is pending: it is being sent or waits for its next try".into(),
                }
            } else {
                ApiError::NotFound("delivery")
            });
        };
        let changes = json!({"delivery_id": row.id, "event_id": row.event_id});
        let event = caller.audit_actor().raw(
            AuditEntity::Webhook,
            Some(endpoint.id),
            "replay",
            Some(endpoint.agency_id),
            changes,
        );
        audit_rows::record(tx, event).await?;
        Ok(row)
    })
    .await?;
    Ok(DeliveryView::from(replayed))
}
