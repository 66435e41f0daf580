//! Handlers of webhook endpoints and their deliveries (`services::webhooks`).

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::webhooks::{
    self, CreateWebhook, CreatedWebhook, DeliveryPage, DeliveryQuery, DeliveryView, UpdateWebhook, WebhookQuery,
    WebhookView,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use uuid::Uuid;

/// List webhook endpoints.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(WebhookQuery, PageParams),
    responses((status = 200, description = "A page of endpoints", body = Page<WebhookView>), Unauthenticated, Forbidden, Invalid)
)]
#[get("/webhooks")]
pub(super) async fn list_webhooks(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<WebhookQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<WebhookView>>, ApiError> {
    Ok(web::Json(webhooks::list(&caller, &state, query.into_inner(), page.into_inner()).await?))
}

/// Register a webhook endpoint.
///
/// Every event of the chosen types in the agency is posted to `url`, signed as Standard
/// Webhooks has it (`webhook-id`, `webhook-timestamp`, `webhook-signature`), and tried again
/// for more than a day when the receiver fails. The signing secret is in this answer only.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "Registered; keep the secret", body = CreatedWebhook, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated, Forbidden, Invalid,
    )
)]
#[post("/webhooks")]
pub(super) async fn create_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let view = webhooks::register(&caller, &state, body.into_inner()).await?;
    let location = format!("/api/v1/webhooks/{}", view.webhook.id);
    Ok(created(location, view.webhook.updated_at, &view))
}

/// Read a webhook endpoint.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(("webhook_id" = Uuid, Path)),
    responses((status = 200, description = "The endpoint (without its secret)", body = WebhookView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/webhooks/{webhook_id}")]
pub(super) async fn get_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = webhooks::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Change a webhook endpoint.
///
/// `enabled: true` enables an endpoint that was disabled (by an admin, or after days of
/// failures) and starts its failing record afresh; its pending deliveries go out again.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(("webhook_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateWebhook,
    responses(
        (status = 200, description = "Changed", body = WebhookView, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale, Invalid,
    )
)]
#[patch("/webhooks/{webhook_id}")]
pub(super) async fn update_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    let view = webhooks::update(&caller, &state, path.into_inner(), &if_match, body.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.updated_at, &view))
}

/// Rotate a webhook's signing secret.
///
/// A new secret, shown in this answer only. For the next 24 hours every delivery is signed with
/// the new secret and the one it replaces (two signatures in `webhook-signature`, as Standard
/// Webhooks allows), so the receiver can switch to the new one without refusing any delivery.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(("webhook_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 200, description = "Rotated; keep the new secret", body = CreatedWebhook, headers(("ETag" = String))),
        Unauthenticated, Forbidden, NotFound, Stale,
    )
)]
#[post("/webhooks/{webhook_id}/rotate-secret")]
pub(super) async fn rotate_webhook_secret(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let view = webhooks::rotate_secret(&caller, &state, path.into_inner(), &if_match).await?;
    Ok(with_etag(StatusCode::OK, view.webhook.updated_at, &view))
}

/// Remove a webhook endpoint and its delivery log.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(("webhook_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses((status = 204, description = "Removed"), Unauthenticated, Forbidden, NotFound, Stale)
)]
#[delete("/webhooks/{webhook_id}")]
pub(super) async fn delete_webhook(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    webhooks::delete(&caller, &state, path.into_inner(), &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List an endpoint's deliveries.
///
/// The delivery log, newest first: each event sent to the endpoint, its state, tries, the
/// receiver's last answer or error, and when it is tried next.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(("webhook_id" = Uuid, Path), DeliveryQuery, PageParams),
    responses((status = 200, description = "A page of deliveries", body = DeliveryPage), Unauthenticated, NotFound, Invalid)
)]
#[get("/webhooks/{webhook_id}/deliveries")]
pub(super) async fn list_webhook_deliveries(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<DeliveryQuery>,
    page: Query<PageParams>,
) -> Result<web::Json<DeliveryPage>, ApiError> {
    Ok(web::Json(
        webhooks::deliveries(&caller, &state, path.into_inner(), query.into_inner(), page.into_inner()).await?,
    ))
}

/// Send a delivery again.
///
/// A delivered or given-up delivery is sent again now, with the same `webhook-id` (so a
/// receiver that took it already can tell), on a fresh retry schedule. A pending one is refused
/// (409 `delivery_pending`): it is being sent or waits for its next try.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(("webhook_id" = Uuid, Path), ("delivery_id" = i64, Path)),
    responses(
        (status = 202, description = "Queued to be sent again", body = DeliveryView),
        Unauthenticated, Forbidden, NotFound, Conflict,
    )
)]
#[post("/webhooks/{webhook_id}/deliveries/{delivery_id}/replay")]
pub(super) async fn replay_webhook_delivery(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, i64)>,
) -> Result<HttpResponse, ApiError> {
    let view = webhooks::replay(&caller, &state, path.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(view))
}
