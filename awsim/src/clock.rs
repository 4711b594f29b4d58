//! The world's clock: the system's, or a fixed instant tests move by hand (so delays and rate limits are
//! deterministic).

use jiff::{SignedDuration, Timestamp};

/// Where the world's "now" comes from.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Clock {
    #[default]
    System,
    Fixed(Timestamp),
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Fixed(t) => *t,
        }
    }

    /// Moves a fixed clock forward (a system clock moves by itself).
    pub fn advance(&mut self, by: SignedDuration) {
        if let Clock::Fixed(t) = self {
            *t = t.saturating_add(by).unwrap_or(*t);
        }
    }
}
