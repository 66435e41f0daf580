//! Kinerja's persistence on PostgreSQL: the schema, row models and queries, the connection
//! pool, the embedded migrations and the local PostgreSQL launcher.

pub mod error;
pub mod identity;
pub mod launcher;
pub mod migrations;
pub mod pool;
pub mod schema;

pub use error::StoreError;
pub use pool::{Db, DbConn};
