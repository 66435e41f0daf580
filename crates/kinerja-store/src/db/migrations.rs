//! The migrations in `migrations/`, embedded in the binary and run over a synchronous
//! connection (Diesel's migration harness is synchronous).

use diesel::{Connection, PgConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{StoreError, StoreResult};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// A synchronous connection of its own, for migrations and bulk COPY.
pub(crate) fn connect(database_url: &str) -> StoreResult<PgConnection> {
    PgConnection::establish(database_url).map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Runs every pending migration, then (on a Citus coordinator) places the tables not yet placed
/// ([`super::citus::distribute`]); returns the versions applied.
pub fn run_pending(database_url: &str) -> StoreResult<Vec<String>> {
    let mut conn = connect(database_url)?;
    let applied: Vec<String> = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| StoreError::Other(e.to_string()))?
        .iter()
        .map(|v| v.to_string())
        .collect();
    let placed = super::citus::distribute(&mut conn)?;
    if !placed.is_empty() {
        tracing::info!(tables = placed.len(), "placed tables on the Citus cluster");
    }
    Ok(applied)
}

/// Reverts every migration, newest first (used by the test that proves each `down.sql`).
pub fn revert_all(database_url: &str) -> StoreResult<Vec<String>> {
    let mut conn = connect(database_url)?;
    let reverted = conn.revert_all_migrations(MIGRATIONS).map_err(|e| StoreError::Other(e.to_string()))?;
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

/// Runs pending migrations on a blocking thread, for async callers.
pub async fn run_pending_async(database_url: String) -> StoreResult<Vec<String>> {
    tokio::task::spawn_blocking(move || run_pending(&database_url))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?
}
