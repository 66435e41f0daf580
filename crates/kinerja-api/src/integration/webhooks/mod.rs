//! Webhooks: agencies' endpoints are sent the outbox's events (`kinerja_store::outbox_rows`), signed
//! as Standard Webhooks asks ([`signature`]), by a background [`deliverer::Deliverer`] that
//! every server runs and that never holds a request up, to the receivers [`targets`] allows.

pub mod deliverer;
pub mod signature;
pub mod targets;

pub use targets::{check_url, check_url_resolving, PublicAddressesOnly, Targets};
