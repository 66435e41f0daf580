//! Kinerja's persistence on PostgreSQL. The database itself — pool, replicas, transactions,
//! migrations, the local PostgreSQL launcher — is in [`db`]; each feature's rows and queries in
//! a module named `<feature>_rows`; bulk `COPY` work in [`bulk`]; the generated [`schema`]; and
//! the domain's codes as text columns in [`coded`].

pub mod acting_rows;
pub mod appraisal_rows;
pub mod audit_rows;
pub mod bulk;
pub mod coded;
pub mod competency_rows;
pub mod db;
pub mod error;
pub mod evaluation_rows;
pub mod history_rows;
pub mod idempotency_rows;
pub mod identity_rows;
pub mod org_rows;
pub mod outbox_rows;
pub mod oversight_rows;
pub mod plan_rows;
pub mod schema;
pub mod shard;
pub mod task_rows;
pub mod webhook_rows;

pub use db::pool::{Db, DbConn};
pub use db::transaction::in_transaction;
pub use error::StoreError;

/// What the API needs to hold connections and name diesel errors.
pub use diesel::result::Error as DieselError;
pub use diesel_async::{AsyncConnection, AsyncPgConnection};
