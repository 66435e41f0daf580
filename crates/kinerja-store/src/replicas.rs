//! Read replicas: lists, reports and exports may read from streaming standbys
//! (`KINERJA_READ_DATABASE_URL`); writes, and the reads that authorize a write, stay on the
//! primary. A standby that is down, or whose replay lags past the limit
//! (`KINERJA_MAX_REPLICA_LAG`), is passed over and the primary answers. Whether a caller must
//! read its own writes is the API's to say ([`Db::read_conn`] is only called when it need not).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::sql_types::Double;
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use crate::error::StoreResult;
use crate::pool::{Db, DbConn};

/// How long a standby's measured lag is trusted before it is measured again.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long a standby that refused a connection is left alone.
const DOWN_FOR: Duration = Duration::from_secs(5);

#[derive(Default)]
pub(crate) struct Replicas {
    pub(crate) standbys: Vec<Standby>,
    max_lag: Duration,
    next: AtomicUsize,
    served_by_primary: AtomicU64,
    served_by_replica: AtomicU64,
}

pub(crate) struct Standby {
    pub(crate) db: Db,
    state: Mutex<Health>,
}

#[derive(Debug, Clone, Copy)]
enum Health {
    Unknown,
    /// The replay lag measured at that instant.
    Measured(Duration, Instant),
    Down(Instant),
}

/// What `/metrics` shows of one standby.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaStatus {
    /// The lag last measured; `None` when down or not measured yet.
    pub lag: Option<Duration>,
    pub up: bool,
}

/// Reads served by each kind of pool since start.
#[derive(Debug, Clone, Copy)]
pub struct ReadsServed {
    pub primary: u64,
    pub replica: u64,
}

#[derive(QueryableByName)]
struct Lag {
    #[diesel(sql_type = Double)]
    seconds: f64,
}

/// A standby's replay lag: none when it has replayed all it received from a primary it is
/// streaming from; else the age of the last transaction it replayed. A primary reports none.
const LAG: &str = "SELECT CASE \
    WHEN NOT pg_is_in_recovery() THEN 0 \
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() \
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0 \
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END::float8 AS seconds";

impl Db {
    /// Adds read replicas; each gets a pool like the primary's. Call before any connection.
    pub fn with_replicas(mut self, urls: &[String], max_lag: Duration) -> StoreResult<Self> {
        let total = self.shared.total;
        let timeout = self.shared.statement_timeout;
        let standbys = urls
            .iter()
            .map(|url| {
                let db = Db::with_statement_timeout(url, total, timeout)?;
                Ok(Standby { db, state: Mutex::new(Health::Unknown) })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let shared = Arc::get_mut(&mut self.shared)
            .ok_or_else(|| crate::StoreError::Other("replicas are added before the handle is shared".into()))?;
        shared.replicas = Replicas {
            standbys,
            max_lag,
            next: AtomicUsize::new(0),
            served_by_primary: 0.into(),
            served_by_replica: 0.into(),
        };
        Ok(self)
    }

    /// A connection for a read that may be a little behind (a list, a report, an export): a
    /// standby that is up and within the lag limit, in turn, else the primary.
    pub async fn read_conn(&self) -> StoreResult<DbConn> {
        let replicas = &self.shared.replicas;
        let count = replicas.standbys.len();
        for _ in 0..count {
            let standby = &replicas.standbys[replicas.next.fetch_add(1, Ordering::Relaxed) % count];
            if let Some(conn) = standby.usable_conn(replicas.max_lag).await {
                replicas.served_by_replica.fetch_add(1, Ordering::Relaxed);
                return Ok(conn);
            }
        }
        self.primary_read().await
    }

    /// A read on the primary, counted as such (the caller's own recent write, or asked for).
    pub async fn primary_read(&self) -> StoreResult<DbConn> {
        self.shared.replicas.served_by_primary.fetch_add(1, Ordering::Relaxed);
        self.conn().await
    }

    pub fn replica_status(&self) -> Vec<ReplicaStatus> {
        let health = |s: &Standby| s.state.lock().map_or(Health::Unknown, |h| *h);
        self.shared
            .replicas
            .standbys
            .iter()
            .map(|s| match health(s) {
                Health::Measured(lag, _) => ReplicaStatus { lag: Some(lag), up: true },
                Health::Down(_) => ReplicaStatus { lag: None, up: false },
                Health::Unknown => ReplicaStatus { lag: None, up: true },
            })
            .collect()
    }

    pub fn reads_served(&self) -> ReadsServed {
        let r = &self.shared.replicas;
        ReadsServed {
            primary: AtomicU64::load(&r.served_by_primary, Ordering::Relaxed),
            replica: AtomicU64::load(&r.served_by_replica, Ordering::Relaxed),
        }
    }
}

impl Standby {
    async fn usable_conn(&self, max_lag: Duration) -> Option<DbConn> {
        let health = self.state.lock().map_or(Health::Unknown, |h| *h);
        match health {
            Health::Down(since) if since.elapsed() < DOWN_FOR => return None,
            Health::Measured(lag, at) if at.elapsed() < CHECK_EVERY && lag > max_lag => return None,
            _ => {}
        }
        let Ok(mut conn) = self.db.conn().await else {
            self.set(Health::Down(Instant::now()));
            return None;
        };
        let lag = match health {
            Health::Measured(lag, at) if at.elapsed() < CHECK_EVERY => lag,
            _ => match diesel::sql_query(LAG).get_result::<Lag>(&mut *conn).await {
                Ok(measured) => {
                    let lag = Duration::try_from_secs_f64(measured.seconds.max(0.0)).unwrap_or(Duration::MAX);
                    self.set(Health::Measured(lag, Instant::now()));
                    lag
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a read replica did not answer; reading from the primary");
                    self.set(Health::Down(Instant::now()));
                    return None;
                }
            },
        };
        (lag <= max_lag).then_some(conn)
    }

    fn set(&self, health: Health) {
        if let Ok(mut state) = self.state.lock() {
            *state = health;
        }
    }
}
