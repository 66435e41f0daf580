//! The annual rating and what follows it: the final rating, calibration, the organisation's
//! predikat with its distribution curve, and objections (the rules in `services::appraisal`).

pub(super) mod calibration;
pub(super) mod curve;
pub(super) mod final_rating;
pub(super) mod objections;
