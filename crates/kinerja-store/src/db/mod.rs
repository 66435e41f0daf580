//! The database itself, apart from any table: the pool and its read replicas, transactions,
//! the embedded migrations and the tables' places on Citus, the local PostgreSQL launcher, page queries and plan explanations.

pub mod citus;
pub mod explain;
pub mod launcher;
pub mod local_citus;
pub mod migrations;
pub mod page;
pub mod pool;
pub mod replicas;
pub mod transaction;
