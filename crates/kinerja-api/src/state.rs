//! What every handler shares ([`AppState`]), and where a read goes.
//!
//! With read replicas configured (`KINERJA_READ_DATABASE_URL`), lists, reports and exports read
//! from a standby through [`AppState::read_conn`]; everything else, and the reads that authorize
//! a write, from the primary.
//!
//! Read-your-writes: for a while (`AppState::with_read_your_writes_for`) after a caller's
//! successful write (the replica lag limit, 5 s by default), that caller's reads go to the
//! primary, on this server. A client that spreads one user's requests over several servers, or
//! wants the primary for any other reason, sends `Kinerja-Read-From: primary`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use kinerja_store::{Db, DbConn};
use uuid::Uuid;

use crate::auth::{JwtKeys, Sessions};
use crate::http::cors::AllowedOrigins;
use crate::http::error::ApiError;
use crate::http::observe::Metrics;
use crate::integration::webhooks::Targets;

/// What every handler shares.
pub struct AppState {
    pub db: Db,
    pub keys: JwtKeys,
    /// Whether access tokens still stand (revocation within [`crate::auth::SESSION_TTL`]).
    pub sessions: Sessions,
    /// Proxies whose `X-Forwarded-For` names the client (`KINERJA_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpAddr>,
    pub metrics: Metrics,
    /// Callers whose reads go to the primary for a while after a write.
    pub recent_writers: RecentWriters,
    /// Which receivers a webhook may name (`KINERJA_WEBHOOK_ALLOW_LOCAL`).
    pub webhook_targets: Targets,
    /// How long a request may take before it is answered 503 (`KINERJA_REQUEST_TIMEOUT`); the
    /// server enforces it, so a database that stops answering holds no request past it.
    pub request_deadline: std::time::Duration,
    /// The browser origins that may call the API (`KINERJA_CORS_ORIGINS`).
    pub cors_origins: AllowedOrigins,
}

/// The default [`AppState::request_deadline`]: past the database's 5 s statement limit and a
/// pool wait, short of a client's patience.
pub const REQUEST_DEADLINE_DEFAULT: std::time::Duration = std::time::Duration::from_secs(8);

impl AppState {
    pub fn new(db: Db, keys: JwtKeys) -> Result<Self, ApiError> {
        Ok(AppState {
            db,
            keys,
            sessions: Sessions::default(),
            trusted_proxies: Vec::new(),
            metrics: Metrics::new().map_err(ApiError::internal)?,
            recent_writers: RecentWriters::new(READ_YOUR_WRITES_DEFAULT),
            webhook_targets: Targets::default(),
            request_deadline: REQUEST_DEADLINE_DEFAULT,
            cors_origins: AllowedOrigins::default(),
        })
    }

    /// How long a caller's reads go to the primary after its write: the replica lag limit.
    pub fn with_read_your_writes_for(mut self, window: Duration) -> Self {
        self.recent_writers = RecentWriters::new(window);
        self
    }

    /// Answers 503 `request_timed_out` to a request still running after `deadline`.
    pub fn with_request_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.request_deadline = deadline;
        self
    }

    /// Lets browser pages from these origins call the API.
    pub fn with_cors_origins(mut self, origins: AllowedOrigins) -> Self {
        self.cors_origins = origins;
        self
    }

    /// Lets webhooks name these receivers.
    pub fn with_webhook_targets(mut self, targets: Targets) -> Self {
        self.webhook_targets = targets;
        self
    }

    /// Trusts `X-Forwarded-For` from these proxies only.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not one (what a client writes there itself is never
    /// believed, since only a trusted proxy's appending counts).
    pub fn client_address(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or("");
        let hops: Vec<IpAddr> = forwarded.split(',').filter_map(|hop| hop.trim().parse().ok()).collect();
        Some(hops.into_iter().rev().find(|hop| !self.trusted_proxies.contains(hop)).unwrap_or(peer))
    }

    /// A connection for a list, report or export: a replica unless the caller must see its own
    /// writes (see the module's words), else the primary.
    pub async fn read_conn(&self, from: ReadFrom) -> Result<DbConn, ApiError> {
        Ok(match from {
            ReadFrom::Primary => self.db.primary_read().await?,
            ReadFrom::Replica => self.db.read_conn().await?,
        })
    }
}

/// Where a caller's lists and reports read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// A standby within the lag limit (the primary when there is none).
    Replica,
    /// The primary: the caller wrote lately, or asked.
    Primary,
}

/// How long a caller's reads go to the primary after its write, unless the server is told its
/// replica lag limit (`KINERJA_MAX_REPLICA_LAG`).
pub const READ_YOUR_WRITES_DEFAULT: Duration = Duration::from_secs(5);

/// The request header that sends a caller's reads to the primary.
pub const READ_FROM_HEADER: &str = "kinerja-read-from";
/// [`READ_FROM_HEADER`] as the document spells it.
pub const READ_FROM_HEADER_NAME: &str = "Kinerja-Read-From";

/// Entries kept before the table starts over (bounds memory; losing one sends a read to a replica
/// a little early, no worse than a client without the table).
const MAX_ENTRIES: usize = 100_000;

/// Who wrote lately on this server.
pub struct RecentWriters {
    window: Duration,
    entries: Mutex<HashMap<Uuid, Instant>>,
}

impl RecentWriters {
    pub fn new(window: Duration) -> Self {
        RecentWriters { window, entries: Mutex::new(HashMap::new()) }
    }

    pub fn remember(&self, who: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                let window = self.window;
                entries.retain(|_, at| at.elapsed() < window);
                if entries.len() >= MAX_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(who, Instant::now());
        }
    }

    pub fn wrote_lately(&self, who: Uuid) -> bool {
        self.entries.lock().is_ok_and(|entries| entries.get(&who).is_some_and(|at| at.elapsed() < self.window))
    }
}

/// Put in a request's extensions by the `Caller` extractor: the middleware remembers the caller
/// as a writer when a write answers with success.
#[derive(Debug, Clone, Copy)]
pub struct Writer(pub Uuid);

/// Whether this request asks for the primary.
pub fn asks_for_primary(req: &HttpRequest) -> bool {
    req.headers().get(READ_FROM_HEADER).is_some_and(|v| v.as_bytes() == b"primary")
}

/// Refuses a `Kinerja-Read-From` other than the one value it has, like any value that does not
/// fit (422 naming the header), before the request is routed.
pub fn check_read_from(headers: &actix_web::http::header::HeaderMap) -> Result<(), ApiError> {
    match headers.get(READ_FROM_HEADER) {
        Some(value) if value.as_bytes() != b"primary" => Err(ApiError::InvalidField(
            crate::http::error::FieldError::new(READ_FROM_HEADER_NAME, "invalid_value", "the only value is `primary`"),
        )),
        _ => Ok(()),
    }
}
