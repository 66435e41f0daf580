//! Whether an access token still stands: its user's session version and active flag, or its
//! client not revoked. Checked on every request against an in-process cache refreshed from the
//! database at most every [`SESSION_TTL`], so a revoked right stops within that time on every
//! server (at once on the server that made the change), without a query per request. The same
//! read tells which officials the user stands in for today (acting officials), so a delegation
//! ended or removed stops within that time too.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use kinerja_domain::objection::calendar_day;
use kinerja_store::{acting_rows, identity_rows, Db};
use uuid::Uuid;

use crate::auth::AccessClaims;
use crate::http::error::ApiError;

/// How long a server trusts what it read of a user or client.
pub const SESSION_TTL: Duration = Duration::from_secs(2);

/// Entries kept before the cache starts over (each is a few bytes; this bounds memory).
const MAX_ENTRIES: usize = 200_000;

#[derive(Debug, Clone)]
enum Standing {
    /// `acting_for`: the officials the user's employee stands in for today (acting officials).
    User {
        version: i32,
        active: bool,
        acting_for: Vec<Uuid>,
    },
    Client {
        live: bool,
    },
    Gone,
}

#[derive(Default)]
pub struct Sessions {
    entries: Mutex<HashMap<Uuid, (Standing, Instant)>>,
}

impl Sessions {
    /// Refuses (401) a token whose user was deactivated, changed or logged out, or whose client
    /// was deleted, since it was issued. Answers the officials the user stands in for today.
    pub async fn check(&self, db: &Db, claims: &AccessClaims) -> Result<Vec<Uuid>, ApiError> {
        let standing = match self.cached(claims.sub) {
            Some(standing) => standing,
            None => {
                let standing = Self::read(db, claims).await?;
                self.remember(claims.sub, standing.clone());
                standing
            }
        };
        let (stands, acting_for) = match standing {
            Standing::User { version, active, acting_for } => {
                (claims.kind == "user" && active && version == claims.sv, acting_for)
            }
            Standing::Client { live } => (claims.kind == "client" && live, Vec::new()),
            Standing::Gone => (false, Vec::new()),
        };
        if stands {
            Ok(acting_for)
        } else {
            Err(ApiError::Unauthenticated("the session has ended; sign in again"))
        }
    }

    /// Drops what this server knows of a user or client, after it changed here.
    pub fn forget(&self, id: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&id);
        }
    }

    /// Drops everything this server knows (after a change that touches many users, such as a
    /// delegation to an acting official).
    pub fn forget_all(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    fn cached(&self, id: Uuid) -> Option<Standing> {
        let entries = self.entries.lock().ok()?;
        entries.get(&id).filter(|(_, at)| at.elapsed() < SESSION_TTL).map(|(standing, _)| standing.clone())
    }

    fn remember(&self, id: Uuid, standing: Standing) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(id, (standing, Instant::now()));
        }
    }

    async fn read(db: &Db, claims: &AccessClaims) -> Result<Standing, ApiError> {
        let mut conn = db.conn().await?;
        Ok(match claims.kind.as_str() {
            "user" => match identity_rows::user_standing(&mut conn, claims.sub).await? {
                Some((version, active)) => {
                    let acting_for = match (claims.agency_id, claims.employee_id) {
                        (Some(agency), Some(me)) => {
                            acting_rows::stands_in_for(&mut conn, agency, me, calendar_day(Utc::now())).await?
                        }
                        _ => Vec::new(),
                    };
                    Standing::User { version, active, acting_for }
                }
                None => Standing::Gone,
            },
            "client" => Standing::Client { live: identity_rows::client_is_live(&mut conn, claims.sub).await? },
            _ => Standing::Gone,
        })
    }
}
