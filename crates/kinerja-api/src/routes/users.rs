//! User accounts.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpResponse};
use kinerja_domain::{AccountAction, Role};
use kinerja_store::identity_rows::{self, UserRow};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::access::account_list_agency;
use crate::context::caller::Caller;
use crate::context::write::IfMatch;
use crate::context::write::{created, with_etag};
use crate::http::checks::present;
use crate::http::error::responses::{Conflict, Forbidden, Invalid, NotFound, Stale, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::services::accounts::{self, AccountChange, AccountInput, UserView};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "198503152010012003", "password": "Rahasia-Kinerja-2026", "roles": ["employee"], "agency_id": "0193a0c2-0000-7000-8000-00000000a001", "employee_id": "0193a0c2-0000-7000-8000-00000000e001"}))]
pub struct CreateUser {
    /// 3–64 of `a-z 0-9 . _ -`.
    #[schema(example = "siti.rahma", pattern = "^[a-z0-9._-]{3,64}$")]
    username: String,
    /// 12–128 characters.
    #[schema(example = "a long passphrase", min_length = 12, max_length = 128)]
    password: String,
    #[schema(example = json!(["agency_admin"]), min_items = 1)]
    roles: Vec<Role>,
    /// Required for every role but `super_admin`.
    agency_id: Option<Uuid>,
    /// Required for the `employee` role: the employee this account belongs to.
    employee_id: Option<Uuid>,
}

/// A partial change; absent fields stay as they are, `null` clears an optional link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"roles": ["employee", "auditor"]}))]
pub struct UpdateUser {
    #[schema(min_length = 12, max_length = 128)]
    password: Option<String>,
    roles: Option<Vec<Role>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    agency_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    employee_id: Option<Option<Uuid>>,
    is_active: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Only users of this agency.
    agency_id: Option<Uuid>,
}

fn visible(caller: &Caller, user: &UserRow, action: AccountAction) -> bool {
    caller.actor.may_on_accounts(action, user.agency_id)
}

/// Loads a user the caller may act on; others are "not found" so existence does not leak.
pub(super) async fn load(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: AccountAction,
) -> Result<UserRow, ApiError> {
    let mut conn = state.db.conn().await?;
    let user = identity_rows::get_user(&mut conn, id).await.map_err(|e| match e {
        kinerja_store::StoreError::NotFound => ApiError::NotFound("user"),
        other => other.into(),
    })?;
    let is_self = caller.user_id() == Some(user.id);
    if is_self || visible(caller, &user, action) {
        Ok(user)
    } else if visible(caller, &user, AccountAction::Read) {
        Err(ApiError::Forbidden("you may read this account but not change it"))
    } else {
        Err(ApiError::NotFound("user"))
    }
}

fn respond(user: UserRow) -> HttpResponse {
    with_etag(StatusCode::OK, user.updated_at, &UserView::from(user))
}

/// List user accounts: all for a super admin, one agency's for its admins and auditors.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserFilter, PageParams),
    responses(
        (status = 200, description = "A page of users", body = Page<UserView>),
        Unauthenticated,
        Forbidden,
        Invalid,
    )
)]
#[get("/users")]
pub(super) async fn list_users(
    caller: Caller,
    state: web::Data<AppState>,
    filter: Query<UserFilter>,
    page: Query<PageParams>,
) -> Result<web::Json<Page<UserView>>, ApiError> {
    let request = page.parse()?;
    let agency = account_list_agency(&caller, filter.agency_id)?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = identity_rows::list_users(&mut conn, agency, request.after, request.fetch()).await?;
    Ok(web::Json(Page::from_rows(rows, request, |u| u.id, UserView::from)))
}

/// Create a user account.
///
/// Create a user account. Agency admins create accounts in their own agency only, and never
/// super admins.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView, headers(("Location" = String), ("ETag" = String))),
        Unauthenticated,
        Forbidden,
        Conflict,
        Invalid,
    )
)]
#[post("/users")]
pub(super) async fn create_user(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if !caller.actor.may_on_accounts(AccountAction::Manage, body.agency_id) {
        return Err(ApiError::Forbidden("you may create accounts in your own agency only"));
    }
    if body.roles.iter().any(|r| !r.needs_agency()) && !caller.is_super_admin() {
        return Err(ApiError::Forbidden("only a super admin may create a super admin or a national auditor"));
    }
    let user = accounts::create(
        &state.db,
        &caller.audit_actor(),
        AccountInput {
            username: body.username,
            password: body.password,
            roles: body.roles,
            agency_id: body.agency_id,
            employee_id: body.employee_id,
        },
    )
    .await?;
    Ok(created(format!("/api/v1/users/{}", user.id), user.updated_at, &UserView::from(user)))
}

/// Read a user account (your own, or one you administer or audit).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The user", body = UserView, headers(("ETag" = String))),
        Unauthenticated,
        NotFound,
    )
)]
#[get("/users/{user_id}")]
pub(super) async fn get_user(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let user = load(&state, &caller, path.into_inner(), AccountAction::Read).await?;
    Ok(respond(user))
}

/// Change a user account.
///
/// Change a user account. Users may change their own password; roles, links and activation are
/// for administrators. A new password or a deactivation ends the user's sessions.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "Updated", body = UserView, headers(("ETag" = String))),
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        Stale,
        Invalid,
    )
)]
#[patch("/users/{user_id}")]
pub(super) async fn update_user(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let user = load(&state, &caller, path.into_inner(), AccountAction::Manage).await?;
    let administers = caller.actor.may_on_accounts(AccountAction::Manage, user.agency_id);
    let admin_fields =
        body.roles.is_some() || body.agency_id.is_some() || body.employee_id.is_some() || body.is_active.is_some();
    if admin_fields && !administers {
        return Err(ApiError::Forbidden("only an administrator may change roles, links or activation"));
    }
    if let Some(agency) = body.agency_id {
        if !caller.actor.may_on_accounts(AccountAction::Manage, agency) {
            return Err(ApiError::Forbidden("you may not move an account into that agency"));
        }
    }
    if body.roles.as_ref().is_some_and(|r| r.iter().any(|r| !r.needs_agency())) && !caller.is_super_admin() {
        return Err(ApiError::Forbidden("only a super admin may grant super_admin or national_auditor"));
    }
    let updated = accounts::change(
        &state.db,
        &caller.audit_actor(),
        &if_match,
        user.id,
        AccountChange {
            password: body.password,
            roles: body.roles,
            agency_id: body.agency_id,
            employee_id: body.employee_id,
            is_active: body.is_active,
        },
    )
    .await?;
    state.sessions.forget(updated.id);
    Ok(respond(updated))
}
