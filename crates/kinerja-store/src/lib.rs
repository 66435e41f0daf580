//! Kinerja's persistence on PostgreSQL: the schema, row models and queries, the connection
//! pool, the embedded migrations and the local PostgreSQL launcher.

pub mod acting_rows;
pub mod appraisal_rows;
pub mod audit;
pub mod bulk;
pub mod codes;
pub mod competency_rows;
pub mod error;
pub mod evaluation_rows;
pub mod explain;
pub mod history_rows;
pub mod idempotency;
pub mod identity;
pub mod launcher;
pub mod migrations;
pub mod org;
pub mod outbox;
pub mod oversight_rows;
pub mod page;
pub mod plan_rows;
pub mod pool;
pub mod replicas;
pub mod schema;
pub mod task_rows;
pub mod webhook_rows;

pub use error::StoreError;
pub use pool::{Db, DbConn};

/// What the API needs to run its own transactions over store functions.
pub use diesel::result::Error as DieselError;
pub use diesel_async::{AnsiTransactionManager, AsyncConnection, AsyncPgConnection, TransactionManager};
