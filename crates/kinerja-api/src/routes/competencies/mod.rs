//! Competencies (PermenPANRB 38/2017): the dictionary, the standard of each position, the
//! assessors an agency appoints, 360° assessments, and each employee's competency profile with
//! gaps and job-person match. The rules live in `kinerja_domain::competency`.

pub(super) mod assessments;
pub(super) mod dictionary;
pub(super) mod profile;
pub(super) mod standards;
