//! Where a read goes when read replicas are configured (`KINERJA_READ_DATABASE_URL`): lists,
//! reports and exports read from a standby through [`AppState::read_conn`]; everything else, and
//! the reads that authorize a write, from the primary.
//!
//! Read-your-writes: for a while (`AppState::with_read_your_writes_for`) after a caller's successful write
//! (the replica lag limit, 5 s by default), that caller's reads go to the primary, on this server.
//! A client that spreads one user's requests over several servers, or wants the primary for any
//! other reason, sends `Kinerja-Read-From: primary`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use kinerja_store::DbConn;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::AppState;

/// How long a caller's reads go to the primary after its write, unless the server is told its
/// replica lag limit (`KINERJA_MAX_REPLICA_LAG`).
pub const READ_YOUR_WRITES_DEFAULT: Duration = Duration::from_secs(5);

/// The request header that sends a caller's reads to the primary.
pub const READ_FROM_HEADER: &str = "kinerja-read-from";

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
    req.headers().get(READ_FROM_HEADER).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"primary"))
}

impl AppState {
    /// A connection for a list, report or export: a replica unless the caller must see its own
    /// writes (see the module's words), else the primary.
    pub async fn read_conn(&self, caller: &Caller) -> Result<DbConn, ApiError> {
        Ok(if caller.reads_primary { self.db.primary_read().await? } else { self.db.read_conn().await? })
    }
}
