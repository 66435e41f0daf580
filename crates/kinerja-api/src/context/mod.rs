//! A request's context: who is calling ([`caller`]), what they may reach ([`access`]), who the
//! audit trail names ([`audit_actor`]), the audited write with its `If-Match` ([`write`]), and
//! the replay of a retried creating `POST` ([`idempotency`]).

pub mod access;
pub mod audit_actor;
pub mod caller;
pub mod idempotency;
pub mod write;
