//! Competencies (PermenPANRB 38/2017): the assessors an agency appoints and 360° assessments.
//! The rules live in `kinerja_domain::competency`.

pub mod assessments;
