//! Transactions run by hand over store functions: diesel-async's closure form needs boxed
//! futures, and ours borrow the caller's values.

use diesel_async::{AnsiTransactionManager, AsyncPgConnection, TransactionManager};

use crate::error::StoreError;

/// Runs `work` in one transaction on `conn`: committed when it succeeds, rolled back when it fails.
pub async fn in_transaction<T, E: From<StoreError>>(
    conn: &mut AsyncPgConnection,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, E>,
) -> Result<T, E> {
    AnsiTransactionManager::begin_transaction(conn).await.map_err(StoreError::from)?;
    match work(conn).await {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn).await.map_err(StoreError::from)?;
            Ok(value)
        }
        Err(error) => {
            // The error that made us roll back is the one worth telling; a failed roll-back
            // leaves the connection broken, and the pool drops it.
            let _ = AnsiTransactionManager::rollback_transaction(conn).await;
            Err(error)
        }
    }
}
