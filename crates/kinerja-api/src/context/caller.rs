//! The authenticated caller, taken from the `Authorization: Bearer` header.

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use kinerja_domain::audit::ActorKind;
use kinerja_domain::{Actor, Role, Scope};
use uuid::Uuid;

use crate::auth::AccessClaims;
use crate::context::audit_actor::AuditActor;
use crate::http::error::ApiError;
use crate::http::observe::RequestId;
use crate::state::{self, AppState, ReadFrom};

/// Who the token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User { id: Uuid, employee_id: Option<Uuid> },
    Client { id: Uuid },
}

impl Principal {
    /// The user's or the client's id.
    pub fn id(&self) -> Uuid {
        match *self {
            Principal::User { id, .. } | Principal::Client { id } => id,
        }
    }
}

/// The caller of a protected endpoint. Taking it as a handler argument is what makes the
/// endpoint require a valid access token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub actor: Actor,
    /// The request's id, for the audit trail.
    pub request_id: Option<String>,
    /// Where its lists and reports read: the primary when it wrote lately or asked
    /// (`crate::state`), else a replica.
    pub reads_from: ReadFrom,
    /// The officials the caller's employee stands in for today (acting officials, Plt/Plh).
    pub acting_for: Vec<Uuid>,
}

impl Caller {
    pub fn user_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { id, .. } => Some(id),
            Principal::Client { .. } => None,
        }
    }

    pub fn agency_id(&self) -> Option<Uuid> {
        match &self.actor {
            Actor::User { agency_id, .. } => *agency_id,
            Actor::Client { agency_id, .. } => Some(*agency_id),
        }
    }

    pub fn is_super_admin(&self) -> bool {
        self.actor.has_role(Role::SuperAdmin)
    }

    /// The agency a read by id looks in: the caller's own, unless it reads every agency. On
    /// Citus a read that names it goes to that agency's shard only.
    pub fn shard_hint(&self) -> Option<Uuid> {
        if self.reads_every_agency() {
            None
        } else {
            self.agency_id()
        }
    }

    /// Super admins and national auditors read every agency.
    pub fn reads_every_agency(&self) -> bool {
        self.actor.reads_every_agency()
    }

    /// The caller a token names, and its claims (to check that the session still stands).
    fn from_token(req: &HttpRequest, state: &AppState) -> Result<(Caller, AccessClaims), ApiError> {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or(ApiError::Unauthenticated("this endpoint needs an access token (Authorization: Bearer …)"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`"))?;
        let claims = state.keys.verify(token)?;
        let invalid = || ApiError::Unauthenticated("the access token is invalid or expired");
        match claims.kind.as_str() {
            "user" => {
                let roles = claims
                    .roles
                    .iter()
                    .map(|r| r.parse::<Role>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| invalid())?;
                let caller = Caller {
                    principal: Principal::User { id: claims.sub, employee_id: claims.employee_id },
                    actor: Actor::User { roles, agency_id: claims.agency_id },
                    request_id: request_id(req),
                    reads_from: ReadFrom::Replica,
                    acting_for: Vec::new(),
                };
                Ok((caller, claims))
            }
            "client" => {
                let scopes = Scope::parse_list(claims.scope.as_deref().unwrap_or("")).map_err(|_| invalid())?;
                let agency_id = claims.agency_id.ok_or_else(invalid)?;
                let caller = Caller {
                    principal: Principal::Client { id: claims.sub },
                    actor: Actor::Client { scopes, agency_id },
                    request_id: request_id(req),
                    reads_from: ReadFrom::Replica,
                    acting_for: Vec::new(),
                };
                Ok((caller, claims))
            }
            _ => Err(invalid()),
        }
    }
}

fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(|id| id.0.clone())
}

impl Caller {
    /// The employee record the caller is, if any.
    pub fn employee_id(&self) -> Option<Uuid> {
        match self.principal {
            Principal::User { employee_id, .. } => employee_id,
            Principal::Client { .. } => None,
        }
    }

    /// Whether the caller is `official`, or stands in for them today (an acting official).
    pub fn is_or_acts_for(&self, official: Option<Uuid>) -> bool {
        official.is_some_and(|o| self.employee_id() == Some(o) || self.acting_for.contains(&o))
    }

    /// Who to name in the audit trail for what this caller does.
    pub fn audit_actor(&self) -> AuditActor {
        let (kind, id) = match self.principal {
            Principal::User { id, .. } => (ActorKind::User, id),
            Principal::Client { id } => (ActorKind::Client, id),
        };
        AuditActor { kind, id: Some(id), request_id: self.request_id.clone(), acting_for: None }
    }

    /// [`Caller::audit_actor`] for an act that is `official`'s to do: when the caller does it in
    /// their stead, the event says "by the caller acting for `official`".
    pub fn audit_actor_for(&self, official: Option<Uuid>) -> AuditActor {
        let acting_for = official.filter(|o| self.employee_id() != Some(*o) && self.acting_for.contains(o));
        AuditActor { acting_for, ..self.audit_actor() }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let parsed = state
            .as_ref()
            .ok_or_else(|| ApiError::internal("application state missing"))
            .and_then(|state| Caller::from_token(req, state));
        // Read-only roles (auditors) write nothing: every write is refused here, before the
        // handler reads anything; signing out (under /auth/) stays theirs.
        let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
            && !req.path().starts_with("/api/v1/auth/");
        let parsed = parsed.and_then(|(caller, claims)| {
            if writes && caller.actor.is_read_only() {
                Err(ApiError::Forbidden("auditor roles read only; they write nothing"))
            } else {
                Ok((caller, claims))
            }
        });
        let asks_for_primary = state::asks_for_primary(req);
        if let Ok((caller, _)) = &parsed {
            req.extensions_mut().insert(state::Writer(caller.principal.id()));
        }
        Box::pin(async move {
            let (mut caller, claims) = parsed?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            caller.acting_for = state.sessions.check(&state.db, &claims).await?;
            if asks_for_primary || state.recent_writers.wrote_lately(caller.principal.id()) {
                caller.reads_from = ReadFrom::Primary;
            }
            Ok(caller)
        })
    }
}
