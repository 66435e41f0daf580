//! End-to-end tests of the API against a real PostgreSQL (one test binary for the workspace).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod appraisal;
mod auth;
mod competencies;
mod contract;
mod cycle;
mod database;
mod errors;
mod events;
mod imports;
mod integrity;
mod openapi;
mod operations;
mod performance;
mod registry;
mod replicas;
mod rules;
mod sessions;
mod tenancy;
mod webhooks;
