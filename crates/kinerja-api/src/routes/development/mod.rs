//! What follows from competency gaps: individual development plans with suggested activities and
//! mentors, training needs per unit, and the talent 9-box (PermenPANRB 3/2020).

pub(super) mod plan;
pub(super) mod talent_map;
pub(super) mod training_needs;
