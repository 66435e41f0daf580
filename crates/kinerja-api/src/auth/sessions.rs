//! Whether an access token still stands: its user's session version and active flag, or its
//! client not revoked. Checked on every request against an in-process cache refreshed from the
//! database at most every [`SESSION_TTL`], so a revoked right stops within that time on every
//! server (at once on the server that made the change), without a query per request.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kinerja_store::{identity, Db};
use uuid::Uuid;

use crate::auth::AccessClaims;
use crate::error::ApiError;

/// How long a server trusts what it read of a user or client.
pub const SESSION_TTL: Duration = Duration::from_secs(2);

/// Entries kept before the cache starts over (each is a few bytes; this bounds memory).
const MAX_ENTRIES: usize = 200_000;

#[derive(Debug, Clone, Copy)]
enum Standing {
    User { version: i32, active: bool },
    Client { live: bool },
    Gone,
}

#[derive(Default)]
pub struct Sessions {
    entries: Mutex<HashMap<Uuid, (Standing, Instant)>>,
}

impl Sessions {
    /// Refuses (401) a token whose user was deactivated, changed or logged out, or whose client
    /// was deleted, since it was issued.
    pub async fn check(&self, db: &Db, claims: &AccessClaims) -> Result<(), ApiError> {
        let standing = match self.cached(claims.sub) {
            Some(standing) => standing,
            None => {
                let standing = Self::read(db, claims).await?;
                self.remember(claims.sub, standing);
                standing
            }
        };
        let stands = match standing {
            Standing::User { version, active } => claims.kind == "user" && active && version == claims.sv,
            Standing::Client { live } => claims.kind == "client" && live,
            Standing::Gone => false,
        };
        if stands {
            Ok(())
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

    fn cached(&self, id: Uuid) -> Option<Standing> {
        let entries = self.entries.lock().ok()?;
        entries.get(&id).filter(|(_, at)| at.elapsed() < SESSION_TTL).map(|(standing, _)| *standing)
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
            "user" => match identity::user_standing(&mut conn, claims.sub).await? {
                Some((version, active)) => Standing::User { version, active },
                None => Standing::Gone,
            },
            "client" => Standing::Client { live: identity::client_is_live(&mut conn, claims.sub).await? },
            _ => Standing::Gone,
        })
    }
}
