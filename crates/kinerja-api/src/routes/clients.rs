//! Handlers of integration clients (`services::clients`).

use crate::context::caller::Caller;
use crate::context::write::{created, with_etag, IfMatch};
use crate::http::error::responses::{Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::clients::{self, ClientFilter, ClientView, CreateClient, CreatedClient};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use uuid::Uuid;

/// List the live integration clients of an agency (all agencies for a super admin).
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(ClientFilter, PageParams),
    responses(
        (status = 200, description = "A page of clients", body = Page<ClientView>),
        Unauthenticated,
        Forbidden,
        Invalid,
    )
)]
#[get("/clients")]
pub(super) async fn list_clients(
    caller: Caller,
    state: web::Data<AppState>,
    filter: Query<ClientFilter>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<ClientView>>, ApiError> {
    Ok(web::Json(clients::list(&caller, &state, filter.into_inner(), page.into_inner()).await?))
}

/// Register an integration client. The secret is in this answer only.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    request_body = CreateClient,
    responses(
        (status = 201, description = "Created; keep the secret", body = CreatedClient, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated,
        Forbidden,
        Invalid,
    )
)]
#[post("/clients")]
pub(super) async fn create_client(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateClient>,
) -> Result<HttpResponse, ApiError> {
    let view = clients::create(&caller, &state, body.into_inner()).await?;
    let location = format!("/api/v1/clients/{}", view.client.id);
    Ok(created(location, view.client.created_at, &view))
}

/// Read an integration client.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(("client_id" = Uuid, Path)),
    responses((status = 200, description = "The client", body = ClientView, headers(("ETag" = String))), Unauthenticated, NotFound)
)]
#[get("/clients/{client_id}")]
pub(super) async fn get_client(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let view = clients::read(&caller, &state, path.into_inner()).await?;
    Ok(with_etag(StatusCode::OK, view.created_at, &view))
}

/// Revoke an integration client; its tokens stop being issued at once.
#[utoipa::path(
    tag = "clients",
    security(("bearer" = [])),
    params(("client_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    responses(
        (status = 204, description = "Revoked"),
        Unauthenticated,
        NotFound,
        Stale,
    )
)]
#[delete("/clients/{client_id}")]
pub(super) async fn delete_client(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    clients::delete(&caller, &state, path.into_inner(), &if_match).await?;
    Ok(HttpResponse::NoContent().finish())
}
