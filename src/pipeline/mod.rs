//! Compile (collect every diagnostic), run (stage by stage, each in its own transaction), the clock.

pub mod check;
pub mod clock;
pub mod runner;

pub use check::check_pipeline;
pub use clock::Clock;
