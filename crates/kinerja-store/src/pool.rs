//! The request-path connection pool: diesel-async connections managed by deadpool, with
//! timeouts so that a missing database is an error within seconds, never a hang.

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::AsyncConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::RunQueryDsl;

use crate::error::{StoreError, StoreResult};

pub type DbConn = Object<AsyncPgConnection>;

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

/// The shared handle to the database.
#[derive(Clone)]
pub struct Db {
    pool: Pool<AsyncPgConnection>,
    url: std::sync::Arc<str>,
    bulk_slots: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Db {
    /// Builds the pool; no connection is made until the first request needs one. Each statement
    /// on a pooled connection may run [`STATEMENT_TIMEOUT`] at most.
    pub fn new(database_url: &str, max_size: usize) -> StoreResult<Self> {
        Db::with_statement_timeout(database_url, max_size, STATEMENT_TIMEOUT)
    }

    /// [`Db::new`] with another limit per statement.
    pub fn with_statement_timeout(database_url: &str, max_size: usize, timeout: Duration) -> StoreResult<Self> {
        let mut config = ManagerConfig::default();
        let setting = format!("SET statement_timeout = {}", timeout.as_millis().max(1));
        config.custom_setup = Box::new(move |url| {
            let setting = setting.clone();
            Box::pin(async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                diesel::sql_query(setting)
                    .execute(&mut conn)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            })
        });
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(Duration::from_secs(5)))
            .recycle_timeout(Some(Duration::from_secs(2)))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Db {
            pool,
            url: database_url.into(),
            bulk_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(BULK_SLOTS)),
        })
    }

    /// Waits for a bulk slot; then [`crate::bulk::connect`] to [`Db::url`] opens the import's
    /// own connection. The slot is freed when the permit is dropped.
    pub async fn bulk_slot(&self) -> StoreResult<tokio::sync::OwnedSemaphorePermit> {
        self.bulk_slots.clone().acquire_owned().await.map_err(|e| StoreError::Other(e.to_string()))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn conn(&self) -> StoreResult<DbConn> {
        Ok(self.pool.get().await?)
    }

    /// Whether the database takes new connections now, for `/readyz`: a fresh connection and a
    /// round trip (a pooled one may outlive a database in shutdown, which refuses new ones).
    pub async fn ping(&self) -> StoreResult<()> {
        let check = async {
            let mut conn =
                AsyncPgConnection::establish(&self.url).await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
            diesel::sql_query("SELECT 1").execute(&mut conn).await?;
            Ok(())
        };
        tokio::time::timeout(POOL_WAIT, check)
            .await
            .map_err(|_| StoreError::Unavailable("no new connection within the wait".into()))?
    }

    pub fn status(&self) -> PoolStatus {
        let s = self.pool.status();
        PoolStatus { max_size: s.max_size, size: s.size, available: s.available, waiting: s.waiting }
    }
}
