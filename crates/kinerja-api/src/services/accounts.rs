//! User accounts: the rules for creating and changing them, shared by the HTTP handlers and the
//! `kinerja admin` commands (which act as the operator, without a caller to authorise).

use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::credentials::{check_password, check_username, PasswordError, UsernameError};
use kinerja_domain::Role;
use kinerja_store::audit_rows::changes as audit_changes;
use kinerja_store::coded::Coded;
use kinerja_store::error::StoreResult;
use kinerja_store::identity_rows::{self, NewUser, UserChanges, UserRow};
use kinerja_store::{audit_rows, AsyncConnection, AsyncPgConnection, Db, StoreError};

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{hash_password, random_token};
use crate::context::audit_actor::AuditActor;
use crate::http::checks::reject;
use crate::http::error::ProblemCode;
use crate::http::error::{ApiError, FieldError};

use crate::context::write::{self, record, Change, IfMatch};

/// A user account as the API shows it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    id: Uuid,
    #[schema(example = "siti.rahma")]
    username: String,
    #[schema(example = json!(["agency_admin"]))]
    roles: Vec<Role>,
    agency_id: Option<Uuid>,
    employee_id: Option<Uuid>,
    is_active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView::from(&u)
    }
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> Self {
        UserView {
            id: u.id,
            username: u.username.clone(),
            roles: roles_of(&u.roles),
            agency_id: u.agency_id,
            employee_id: u.employee_id,
            is_active: u.is_active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// What a new account is made of, before validation.
#[derive(Debug, Clone)]
pub struct AccountInput {
    pub username: String,
    pub password: String,
    pub roles: Vec<Role>,
    pub agency_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
}

fn username_error(e: UsernameError) -> FieldError {
    let code = match e {
        UsernameError::Length => "invalid_length",
        UsernameError::Characters => "invalid_characters",
    };
    FieldError::new("username", code, e.to_string())
}

fn password_error(e: PasswordError) -> FieldError {
    let code = match e {
        PasswordError::TooShort => "too_short",
        PasswordError::TooLong => "too_long",
    };
    FieldError::new("password", code, e.to_string())
}

/// Checks the combination of roles, agency and employee link.
fn check_membership(roles: &[Role], agency_id: Option<Uuid>, employee_id: Option<Uuid>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if roles.is_empty() {
        errors.push(FieldError::new("roles", "required", "at least one role is required"));
    }
    let needs_agency = roles.iter().any(|r| r.needs_agency());
    if needs_agency && agency_id.is_none() {
        errors.push(FieldError::new("agency_id", "required", "agency roles need an agency_id"));
    }
    if roles.iter().any(|r| !r.needs_agency()) && needs_agency {
        errors.push(FieldError::new(
            "roles",
            "incompatible_roles",
            "super_admin and national_auditor stand above every agency and are not combined with agency roles",
        ));
    }
    if roles.contains(&Role::Employee) && employee_id.is_none() {
        errors.push(FieldError::new("employee_id", "required", "the employee role needs an employee_id"));
    }
    errors
}

/// Checks that the linked agency and employee exist and agree. An employee of another agency
/// answers as one that does not exist, so an employee id cannot be probed across agencies.
async fn check_references(
    conn: &mut AsyncPgConnection,
    agency_id: Option<Uuid>,
    employee_id: Option<Uuid>,
) -> Result<(), ApiError> {
    if let Some(agency) = agency_id {
        if !identity_rows::agency_exists(conn, agency).await? {
            return Err(ApiError::validation("agency_id", "not_found", "no such agency"));
        }
    }
    if let Some(employee) = employee_id {
        let of = identity_rows::employee_agency(conn, employee).await?;
        if of.is_none() || of != agency_id {
            return Err(ApiError::validation("employee_id", "not_found", "no such employee in the account's agency"));
        }
    }
    Ok(())
}

fn conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate(c) if c.contains("username") => {
            ApiError::Conflict { code: ProblemCode::DuplicateUsername, detail: "that username is taken".into() }
        }
        StoreError::Duplicate(c) if c.contains("employee") => ApiError::Conflict {
            code: ProblemCode::EmployeeAlreadyLinked,
            detail: "that employee already has a user account".into(),
        },
        other => other.into(),
    }
}

pub async fn hash_in_background(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(ApiError::internal)?
}

/// Validates and creates an account.
pub async fn create(db: &Db, actor: &AuditActor, input: AccountInput) -> Result<UserRow, ApiError> {
    let mut errors = Vec::new();
    if let Err(e) = check_username(&input.username) {
        errors.push(username_error(e));
    }
    if let Err(e) = check_password(&input.password) {
        errors.push(password_error(e));
    }
    errors.extend(check_membership(&input.roles, input.agency_id, input.employee_id));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    check_references(&mut *db.conn().await?, input.agency_id, input.employee_id).await?;
    let password_hash = hash_in_background(input.password).await?;
    let mut conn = db.conn().await?;
    conn.transaction::<_, ApiError, _>(async |tx| {
        let user = identity_rows::insert_user(
            tx,
            NewUser {
                id: Uuid::now_v7(),
                username: &input.username,
                password_hash: &password_hash,
                roles: input.roles.iter().copied().map(Coded).collect(),
                agency_id: input.agency_id,
                employee_id: input.employee_id,
            },
        )
        .await
        .map_err(conflict)?;
        let view = UserView::from(user.clone());
        audit_rows::record(tx, actor.event(AuditEntity::User, user.id, "create", user.agency_id, None, Some(&view)))
            .await?;
        Ok(user)
    })
    .await
}

/// A change to an account; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct AccountChange {
    pub password: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub agency_id: Option<Option<Uuid>>,
    pub employee_id: Option<Option<Uuid>>,
    pub is_active: Option<bool>,
}

/// Validates and applies a change to the account `id`, on the row as locked in the write's
/// transaction (so a concurrent change is never undone) and only if it is still the version
/// `if_match` names. A new password or a deactivation ends every session.
pub async fn change(
    db: &Db,
    actor: &AuditActor,
    if_match: &IfMatch,
    id: Uuid,
    change: AccountChange,
) -> Result<UserRow, ApiError> {
    if let Some(Err(e)) = change.password.as_deref().map(check_password) {
        return Err(ApiError::Validation(vec![password_error(e)]));
    }
    let password_hash = match change.password {
        Some(p) => Some(hash_in_background(p).await?),
        None => None,
    };
    let mut conn = db.conn().await?;
    write::update_on(&mut conn, actor, if_match, id, "update", async |tx, current: &UserRow| {
        let roles = match &change.roles {
            Some(roles) => roles.clone(),
            None => roles_of(&current.roles),
        };
        let mut next = current.clone();
        next.agency_id = change.agency_id.unwrap_or(current.agency_id);
        next.employee_id = change.employee_id.unwrap_or(current.employee_id);
        reject(check_membership(&roles, next.agency_id, next.employee_id))?;
        if change.agency_id.is_some() || change.employee_id.is_some() {
            check_references(tx, next.agency_id, next.employee_id).await?;
        }
        next.roles = roles.iter().copied().map(Coded).collect();
        next.is_active = change.is_active.unwrap_or(current.is_active);
        let ends_sessions = password_hash.is_some() || change.is_active == Some(false);
        if let Some(hash) = password_hash {
            next.password_hash = hash;
        }
        if ends_sessions {
            identity_rows::revoke_user_tokens(tx, current.id, Utc::now()).await?;
        }
        // A change of what the account may do ends the access tokens issued before it.
        let rights_changed = ends_sessions
            || next.roles != current.roles
            || next.agency_id != current.agency_id
            || next.employee_id != current.employee_id
            || next.is_active != current.is_active;
        if rights_changed {
            next.session_version = current.session_version + 1;
        }
        let mut changes = audit_changes(&json(&UserView::from(current.clone())), &json(&UserView::from(next.clone())));
        if next.password_hash != current.password_hash {
            // The hash never enters the trail; that it changed does.
            if let Some(fields) = changes.as_object_mut() {
                fields.insert("password".into(), serde_json::json!({"old": null, "new": "changed"}));
            }
        }
        Ok(Change::with_changes(next, changes))
    })
    .await
}

fn json(view: &UserView) -> serde_json::Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// Writes an account back whole (the write path merged the change onto the locked row).
async fn save_user(tx: &mut AsyncPgConnection, row: &UserRow) -> StoreResult<UserRow> {
    let changes = UserChanges {
        password_hash: Some(row.password_hash.clone()),
        roles: Some(row.roles.clone()),
        agency_id: Some(row.agency_id),
        employee_id: Some(row.employee_id),
        is_active: Some(row.is_active),
        updated_at: Some(row.updated_at),
        session_version: Some(row.session_version),
    };
    identity_rows::update_user(tx, row.id, changes).await
}

record!(UserRow, AuditEntity::User, audited: UserView, agency: |u| u.agency_id,
        lock: identity_rows::lock_user, save: save_user, map_err: conflict);

/// A user's roles as stored (an unknown stored role already failed the read).
pub fn roles_of(stored: &[Coded<Role>]) -> Vec<Role> {
    stored.iter().map(|r| r.0).collect()
}

/// Creates `admin` as super admin when no user exists. Returns the password when it was
/// generated, so that it can be shown once.
pub async fn bootstrap_admin(db: &Db, password: Option<&str>) -> Result<Option<String>, ApiError> {
    let mut conn = db.conn().await?;
    if identity_rows::count_users(&mut conn).await? > 0 {
        return Ok(None);
    }
    drop(conn);
    let (password, generated) = match password {
        Some(p) => (p.to_owned(), false),
        None => (random_token()?, true),
    };
    create(
        db,
        &AuditActor::system(),
        AccountInput {
            username: "admin".into(),
            password: password.clone(),
            roles: vec![Role::SuperAdmin],
            agency_id: None,
            employee_id: None,
        },
    )
    .await?;
    Ok(generated.then_some(password))
}
