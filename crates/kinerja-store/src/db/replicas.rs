//! Read replicas: lists, reports and exports may read from streaming standbys
//! (`KINERJA_READ_DATABASE_URL`); writes, and the reads that authorize a write, stay on the
//! primary. A standby that is down, or whose replay lags past the limit
//! (`KINERJA_MAX_REPLICA_LAG`), is passed over and the primary answers. Whether a caller must
//! read its own writes is the API's to say (`Db::read_conn` is only called when it need not).
//!
//! This module judges a standby's health; the pool ([`super::pool`]) owns the standbys' handles
//! and picks one.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::sql_types::Double;
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// How long a standby's measured lag is trusted before it is measured again.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How long a standby that refused a connection is left alone.
const DOWN_FOR: Duration = Duration::from_secs(5);

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

/// What is known of one standby's health, measured at most every [`CHECK_EVERY`].
pub(crate) struct StandbyHealth(Mutex<Health>);

impl Default for StandbyHealth {
    fn default() -> Self {
        StandbyHealth(Mutex::new(Health::Unknown))
    }
}

impl StandbyHealth {
    fn get(&self) -> Health {
        self.0.lock().map_or(Health::Unknown, |h| *h)
    }

    fn set(&self, health: Health) {
        if let Ok(mut state) = self.0.lock() {
            *state = health;
        }
    }

    /// Whether the standby is worth a connection now: not down of late, not known to lag.
    pub(crate) fn worth_trying(&self, max_lag: Duration) -> bool {
        match self.get() {
            Health::Down(since) => since.elapsed() >= DOWN_FOR,
            Health::Measured(lag, at) => at.elapsed() >= CHECK_EVERY || lag <= max_lag,
            Health::Unknown => true,
        }
    }

    /// The standby refused a connection: it is left alone for a while.
    pub(crate) fn refused(&self) {
        self.set(Health::Down(Instant::now()));
    }

    /// Whether a connection to the standby may serve a read now; its lag is measured on it when
    /// the last measure is stale.
    pub(crate) async fn within_lag(&self, conn: &mut AsyncPgConnection, max_lag: Duration) -> bool {
        let lag = match self.get() {
            Health::Measured(lag, at) if at.elapsed() < CHECK_EVERY => lag,
            _ => match diesel::sql_query(LAG).get_result::<Lag>(conn).await {
                Ok(measured) => {
                    let lag = Duration::try_from_secs_f64(measured.seconds.max(0.0)).unwrap_or(Duration::MAX);
                    self.set(Health::Measured(lag, Instant::now()));
                    lag
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a read replica did not answer; reading from the primary");
                    self.refused();
                    return false;
                }
            },
        };
        lag <= max_lag
    }

    pub(crate) fn status(&self) -> ReplicaStatus {
        match self.get() {
            Health::Measured(lag, _) => ReplicaStatus { lag: Some(lag), up: true },
            Health::Down(_) => ReplicaStatus { lag: None, up: false },
            Health::Unknown => ReplicaStatus { lag: None, up: true },
        }
    }
}
