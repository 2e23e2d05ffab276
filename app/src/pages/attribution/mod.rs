//! Attribution: where spend went. The overview, Explore, one task's calls, and the untagged calls.

pub mod explore;
pub mod overview;
pub mod tasks;
pub mod untagged;
