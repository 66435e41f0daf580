//! The operator's `kinerja admin` seeds: the demo government and the competency dictionary.

pub mod competency_seed;
pub mod demo;
