//! The request-path connection pool: diesel-async connections managed by deadpool, with
//! timeouts so that a missing database is an error within seconds, never a hang.

use std::time::Duration;

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
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
    /// Builds the pool; no connection is made until the first request needs one.
    pub fn new(database_url: &str, max_size: usize) -> StoreResult<Self> {
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(5)))
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

    /// Round trip to the database, for `/readyz`.
    pub async fn ping(&self) -> StoreResult<()> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    }

    pub fn status(&self) -> PoolStatus {
        let s = self.pool.status();
        PoolStatus { max_size: s.max_size, size: s.size, available: s.available, waiting: s.waiting }
    }
}
