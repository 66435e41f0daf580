//! The request-path connection pool: diesel-async connections managed by deadpool, with
//! timeouts so that a missing database is an error within seconds, never a hang.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use deadpool::managed::{Metrics, Object, Pool, RecycleError, RecycleResult, WeakPool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, PoolError, PoolableConnection};
use diesel_async::AsyncConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::RunQueryDsl;

use super::replicas::{ReadsServed, ReplicaStatus, StandbyHealth};
use crate::error::{StoreError, StoreResult};

pub type DbConn = Object<Manager>;

/// Pool state for `/metrics`.
#[derive(Debug, Clone, Copy)]
pub struct PoolStatus {
    pub max_size: usize,
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

/// The longest a request-path statement may run: one expensive request cannot hold a pooled
/// connection for long (it answers 503 with `Retry-After`; others go on).
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request waits for a free connection before it answers 503.
const POOL_WAIT: Duration = Duration::from_secs(2);

/// Bulk imports that may run at once; each holds a connection of its own outside the pool, so
/// the pool stays free for normal traffic, and further imports wait their turn.
const BULK_SLOTS: usize = 2;

/// A connection used within this long is handed out again without a round trip to check it; one
/// idle longer is checked with `SELECT 1` first. Most checkouts on a busy server are of the first
/// kind, and each saved round trip is a large part of a one-query read (bench/README.md); an idle
/// connection, which a database restart may have cut, is still checked before a request gets it.
const TRUSTED_AFTER_USE: Duration = Duration::from_secs(1);

/// diesel-async's manager, with a check on checkout only for connections idle past
/// [`TRUSTED_AFTER_USE`] (a broken connection is never handed out).
pub struct Manager(AsyncDieselConnectionManager<AsyncPgConnection>);

impl deadpool::managed::Manager for Manager {
    type Type = AsyncPgConnection;
    type Error = PoolError;

    async fn create(&self) -> Result<AsyncPgConnection, PoolError> {
        self.0.create().await
    }

    async fn recycle(&self, conn: &mut AsyncPgConnection, metrics: &Metrics) -> RecycleResult<PoolError> {
        if metrics.last_used() >= TRUSTED_AFTER_USE {
            return self.0.recycle(conn, metrics).await;
        }
        if std::thread::panicking() || conn.is_broken() {
            return Err(RecycleError::Message("broken connection".into()));
        }
        Ok(())
    }
}

/// The shared handle to the database: a pool of connections per thread that uses it.
///
/// Each actix-web worker runs its own single-threaded runtime, and a connection's I/O runs as a
/// task on the thread that opened it. A connection shared between workers pays two cross-thread
/// wake-ups per query, which measured as a third of a one-query read's throughput
/// (bench/README.md); so each thread gets its own pool, opened on first use and closed when the
/// thread ends. [`Db::split_across`] divides the process's connections between the workers.
#[derive(Clone)]
pub struct Db {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    /// Tells this `Db`'s pools apart from another's in the thread-local table.
    id: u64,
    url: Arc<str>,
    /// The connections of the process, as configured (what `/metrics` reports as the maximum).
    pub(crate) total: usize,
    pub(crate) per_thread: AtomicUsize,
    pub(crate) statement_timeout: Duration,
    /// Every pool opened, for the status in `/metrics` (a thread's pool goes with the thread).
    pools: Mutex<Vec<WeakPool<Manager>>>,
    bulk_slots: Arc<tokio::sync::Semaphore>,
    /// Streaming standbys for lists, reports and exports.
    replicas: Replicas,
}

thread_local! {
    static THREAD_POOLS: RefCell<Vec<(u64, Pool<Manager>)>> = const { RefCell::new(Vec::new()) };
}

impl Db {
    /// Builds the handle; no connection is made until the first request needs one. Each statement
    /// on a pooled connection may run [`STATEMENT_TIMEOUT`] at most.
    pub fn new(database_url: &str, max_size: usize) -> StoreResult<Self> {
        Db::with_statement_timeout(database_url, max_size, STATEMENT_TIMEOUT)
    }

    /// [`Db::new`] with another limit per statement.
    pub fn with_statement_timeout(database_url: &str, max_size: usize, timeout: Duration) -> StoreResult<Self> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        if max_size == 0 {
            return Err(StoreError::Other("a pool of no connections".into()));
        }
        Ok(Db {
            shared: Arc::new(Shared {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                url: database_url.into(),
                total: max_size,
                per_thread: AtomicUsize::new(max_size),
                statement_timeout: timeout,
                pools: Mutex::new(Vec::new()),
                bulk_slots: Arc::new(tokio::sync::Semaphore::new(BULK_SLOTS)),
                replicas: Replicas::default(),
            }),
        })
    }

    /// Divides the connections between `threads` threads (the HTTP workers): each thread's pool
    /// holds at most `max_size / threads`, rounded up. Call it before the first connection.
    pub fn split_across(self, threads: usize) -> Self {
        let split = |db: &Db| db.shared.per_thread.store(db.shared.total.div_ceil(threads.max(1)), Ordering::Relaxed);
        split(&self);
        self.shared.replicas.standbys.iter().for_each(|standby| split(&standby.db));
        self
    }

    /// This thread's pool, opened on first use.
    fn pool(&self) -> StoreResult<Pool<Manager>> {
        THREAD_POOLS.with(|pools| {
            if let Some((_, pool)) = pools.borrow().iter().find(|(id, _)| *id == self.shared.id) {
                return Ok(pool.clone());
            }
            let pool = self.open_pool()?;
            pools.borrow_mut().push((self.shared.id, pool.clone()));
            if let Ok(mut all) = self.shared.pools.lock() {
                all.retain(|weak| weak.upgrade().is_some());
                all.push(pool.weak());
            }
            Ok(pool)
        })
    }

    fn open_pool(&self) -> StoreResult<Pool<Manager>> {
        let mut config = ManagerConfig::default();
        let setting = format!("SET statement_timeout = {}", self.shared.statement_timeout.as_millis().max(1));
        config.custom_setup = Box::new(move |url| {
            let setting = setting.clone();
            Box::pin(async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                for statement in [setting.as_str(), super::citus::SESSION_SETUP_SQL] {
                    diesel::sql_query(statement)
                        .execute(&mut conn)
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                Ok(conn)
            })
        });
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(&*self.shared.url, config);
        Pool::builder(Manager(manager))
            .max_size(AtomicUsize::load(&self.shared.per_thread, Ordering::Relaxed))
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(2)))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))
    }

    /// Waits for a bulk slot; then [`crate::bulk::connect`] to [`Db::url`] opens the import's
    /// own connection. The slot is freed when the permit is dropped.
    pub async fn bulk_slot(&self) -> StoreResult<tokio::sync::OwnedSemaphorePermit> {
        self.shared.bulk_slots.clone().acquire_owned().await.map_err(|e| StoreError::Other(e.to_string()))
    }

    pub fn url(&self) -> &str {
        &self.shared.url
    }

    pub async fn conn(&self) -> StoreResult<DbConn> {
        Ok(self.pool()?.get().await?)
    }

    /// Whether the database takes new connections now, for `/readyz`: a fresh connection and a
    /// round trip (a pooled one may outlive a database in shutdown, which refuses new ones).
    pub async fn ping(&self) -> StoreResult<()> {
        let check = async {
            let mut conn = AsyncPgConnection::establish(&self.shared.url)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            diesel::sql_query("SELECT 1").execute(&mut conn).await?;
            Ok(())
        };
        tokio::time::timeout(POOL_WAIT, check)
            .await
            .map_err(|_| StoreError::Unavailable("no new connection within the wait".into()))?
    }

    /// The sum over the threads' pools; the maximum is the process's, as configured.
    pub fn status(&self) -> PoolStatus {
        let mut total = PoolStatus { max_size: self.shared.total, size: 0, available: 0, waiting: 0 };
        let Ok(pools) = self.shared.pools.lock() else { return total };
        for s in pools.iter().filter_map(WeakPool::upgrade).map(|pool| pool.status()) {
            total.size += s.size;
            total.available += s.available;
            total.waiting += s.waiting;
        }
        total
    }
}

/// The standbys a `Db` reads from (`super::replicas` judges their health), and what each kind of
/// pool served.
#[derive(Default)]
pub(crate) struct Replicas {
    standbys: Vec<Standby>,
    max_lag: Duration,
    next: AtomicUsize,
    served_by_primary: AtomicU64,
    served_by_replica: AtomicU64,
}

struct Standby {
    db: Db,
    health: StandbyHealth,
}

impl Standby {
    async fn usable_conn(&self, max_lag: Duration) -> Option<DbConn> {
        if !self.health.worth_trying(max_lag) {
            return None;
        }
        let Ok(mut conn) = self.db.conn().await else {
            self.health.refused();
            return None;
        };
        self.health.within_lag(&mut conn, max_lag).await.then_some(conn)
    }
}

impl Db {
    /// Adds read replicas; each gets a pool like the primary's. Call before any connection.
    pub fn with_replicas(mut self, urls: &[String], max_lag: Duration) -> StoreResult<Self> {
        let total = self.shared.total;
        let timeout = self.shared.statement_timeout;
        let standbys = urls
            .iter()
            .map(|url| {
                let db = Db::with_statement_timeout(url, total, timeout)?;
                Ok(Standby { db, health: StandbyHealth::default() })
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
        self.shared.replicas.standbys.iter().map(|s| s.health.status()).collect()
    }

    pub fn reads_served(&self) -> ReadsServed {
        let r = &self.shared.replicas;
        ReadsServed {
            primary: AtomicU64::load(&r.served_by_primary, Ordering::Relaxed),
            replica: AtomicU64::load(&r.served_by_replica, Ordering::Relaxed),
        }
    }
}
