//! The HTTP conventions every endpoint shares: one error type and its problem documents, keyset
//! pagination, checks of request fields, request ids and metrics.

pub mod checks;
pub mod error;
pub mod observe;
pub mod pagination;
