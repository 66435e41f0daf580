//! What follows from competency gaps: individual development plans with suggested activities and
//! mentors, training needs per unit, and the talent 9-box (PermenPANRB 3/2020).

pub mod plan;
pub mod talent_map;
pub mod training_needs;
