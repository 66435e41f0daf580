//! Integration clients (OAuth2 client credentials) of an agency.

use chrono::{DateTime, Utc};
use kinerja_domain::audit::AuditEntity;
use kinerja_domain::{AccountAction, Scope};
use kinerja_store::coded::Coded;
use kinerja_store::identity_rows::{self, ClientRow, NewClient};
use kinerja_store::{audit_rows, AsyncConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{random_token, sha256};
use crate::context::access::account_list_agency;
use crate::context::caller::Caller;
use crate::context::write::IfMatch;
use crate::http::error::ApiError;
use crate::http::pagination::{Page, PageParams};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    /// The `client_id` of the client-credentials grant.
    pub id: Uuid,
    agency_id: Uuid,
    #[schema(example = "SIASN sync")]
    name: String,
    #[schema(example = json!(["read", "import"]))]
    scopes: Vec<Scope>,
    created_by: Option<Uuid>,
    /// Also its version (`ETag`): a client never changes.
    pub created_at: DateTime<Utc>,
}

impl From<ClientRow> for ClientView {
    fn from(c: ClientRow) -> Self {
        ClientView {
            id: c.id,
            agency_id: c.agency_id,
            name: c.name,
            scopes: c.scopes.iter().map(|s| s.0).collect(),
            created_by: c.created_by,
            created_at: c.created_at,
        }
    }
}

/// A new client with its secret, which is shown this once and stored only as a hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    client_secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Sinkronisasi SIASN", "scopes": ["read", "import"], "agency_id": "0193a0c2-0000-7000-8000-00000000a001"}))]
pub struct CreateClient {
    /// Defaults to the caller's agency; a super admin must give it.
    agency_id: Option<Uuid>,
    #[schema(example = "SIASN sync", min_length = 1, max_length = 200)]
    name: String,
    #[schema(example = json!(["read", "import"]), min_items = 1)]
    scopes: Vec<Scope>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientFilter {
    agency_id: Option<Uuid>,
}

pub async fn list(
    caller: &Caller,
    state: &AppState,
    filter: ClientFilter,
    page: PageParams,
) -> Result<Page<ClientView>, ApiError> {
    let request = page.parse()?;
    let agency = account_list_agency(caller, filter.agency_id)?;
    let mut conn = state.read_conn(caller.reads_from).await?;
    let rows = identity_rows::list_live_clients(&mut conn, agency, request.after, request.fetch()).await?;
    Ok(Page::from_rows(rows, request, |c| c.id, ClientView::from))
}

pub async fn create(caller: &Caller, state: &AppState, body: CreateClient) -> Result<CreatedClient, ApiError> {
    let agency_id = body
        .agency_id
        .or(caller.agency_id())
        .ok_or_else(|| ApiError::validation("agency_id", "required", "a client belongs to an agency"))?;
    if !caller.actor.may_on_accounts(AccountAction::Manage, Some(agency_id)) {
        return Err(ApiError::Forbidden("you may create clients for your own agency only"));
    }
    let name = body.name.trim();
    let mut errors = Vec::new();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(crate::http::error::FieldError::new("name", "invalid_length", "must be 1 to 200 characters"));
    }
    if body.scopes.is_empty() {
        errors.push(crate::http::error::FieldError::new("scopes", "required", "at least one scope"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut scopes = body.scopes;
    scopes.sort();
    scopes.dedup();
    let secret = random_token()?;
    let mut conn = state.db.conn().await?;
    if !identity_rows::agency_exists(&mut conn, agency_id).await? {
        return Err(ApiError::validation("agency_id", "not_found", "no such agency"));
    }
    let secret_hash = sha256(&secret);
    let row = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let row = identity_rows::insert_client(
                tx,
                NewClient {
                    id: Uuid::now_v7(),
                    agency_id,
                    name,
                    secret_hash: &secret_hash,
                    scopes: scopes.iter().copied().map(Coded).collect(),
                    created_by: caller.user_id(),
                },
            )
            .await?;
            let view = ClientView::from(row.clone());
            let event =
                caller.audit_actor().event(AuditEntity::Client, row.id, "create", Some(agency_id), None, Some(&view));
            audit_rows::record(tx, event).await?;
            Ok(row)
        })
        .await?;
    Ok(CreatedClient { client: ClientView::from(row), client_secret: secret })
}

/// A client of an agency the caller manages accounts of (else, as for any other, not found).
pub async fn read(caller: &Caller, state: &AppState, client_id: Uuid) -> Result<ClientView, ApiError> {
    let mut conn = state.db.conn().await?;
    let client = identity_rows::get_live_client(&mut conn, client_id).await?.ok_or(ApiError::NotFound("client"))?;
    if !caller.actor.may_on_accounts(AccountAction::Manage, Some(client.agency_id)) {
        return Err(ApiError::NotFound("client"));
    }
    Ok(ClientView::from(client))
}

/// Revokes a client: the row locked, `If-Match` checked against its version (a client never
/// changes, so its version is its creation), revoked and audited in one transaction.
pub async fn delete(caller: &Caller, state: &AppState, client_id: Uuid, if_match: &IfMatch) -> Result<(), ApiError> {
    let mut conn = state.db.conn().await?;
    let client = conn
        .transaction::<_, ApiError, _>(async |tx| {
            let client = identity_rows::lock_live_client(tx, client_id).await?.ok_or(ApiError::NotFound("client"))?;
            if !caller.actor.may_on_accounts(AccountAction::Manage, Some(client.agency_id)) {
                return Err(ApiError::NotFound("client"));
            }
            if_match.check(client.created_at)?;
            identity_rows::revoke_client(tx, &client, Utc::now()).await?;
            let event = caller.audit_actor().event(
                AuditEntity::Client,
                client.id,
                "delete",
                Some(client.agency_id),
                Some(&ClientView::from(client.clone())),
                None,
            );
            audit_rows::record(tx, event).await?;
            Ok(client)
        })
        .await?;
    // Its tokens stop here at once, on other servers within the session TTL.
    state.sessions.forget(client.id);
    Ok(())
}
