//! The use cases handlers call: each does one thing the API offers, on the store and under the
//! domain's rules, and knows nothing of HTTP beyond the error it answers with.

pub mod accounts;
pub mod acting_officials;
pub mod appraisal;
pub mod clients;
pub mod competencies;
pub mod competency_profiles;
pub mod development;
pub mod employees;
pub mod evaluations;
pub mod history;
pub mod periods;
pub mod plan_contents;
pub mod plans;
pub mod reports;
pub mod scoring;
pub mod sign_in;
pub mod webhooks;
