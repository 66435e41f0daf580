//! The HTTP conventions every endpoint shares: one error type and its problem documents, keyset
//! pagination, checks of request fields, request ids and metrics, cross-origin access,
//! conditional reads and compression.

pub mod checks;
pub mod compression;
pub mod conditional;
pub mod cors;
pub mod error;
pub mod extract;
pub mod observe;
pub mod pagination;
pub mod problem_code;
