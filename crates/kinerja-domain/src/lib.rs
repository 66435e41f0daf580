//! Kinerja's rules, free of I/O: the codes used on the wire and the rules that decide what a
//! caller may do. Handlers and SQL call these; they never re-implement them.

pub mod access;
pub mod acting;
pub mod audit;
pub mod civil_service;
pub mod code_sets;
pub mod competency;
pub mod credentials;
pub mod deadlines;
pub mod distribution;
pub mod events;
pub mod limits;
pub mod objection;
pub mod rule_sets;
pub mod skp;
pub mod tasks;
pub mod webhooks;
pub mod workflow;

pub use access::{AccountAction, Actor, RegistryAction, Relation, Role, Scope};
