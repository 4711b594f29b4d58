//! The analysis layer: from the profiles' snapshots to the one view every front end renders.
//!
//! Pure code (no I/O, no clock: callers pass `now`): tag recovery from CloudTrail, push-to-run correlation and
//! diagnosis.

pub mod correlate;
pub mod diagnose;
