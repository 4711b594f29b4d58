//! Process exit codes (documented in `--help` and README), and the one a finished analysis calls for.

use crate::analysis::Analysis;

/// Every profile polled; no untriggered push (and the dashboard's normal quit).
pub const HEALTHY: u8 = 0;
/// At least one untriggered push.
pub const UNTRIGGERED: u8 = 1;
/// Usage or configuration error.
pub const USAGE: u8 = 2;
/// At least one profile failed to poll (wins over [`UNTRIGGERED`]).
pub const PROFILE_FAILED: u8 = 3;

/// The `--once` exit code of `analysis`: 3 if a profile failed, else 1 if a push is untriggered, else 0.
pub fn of(analysis: &Analysis) -> u8 {
    let c = analysis.counts();
    if c.failed_profiles > 0 {
        PROFILE_FAILED
    } else if c.untriggered > 0 {
        UNTRIGGERED
    } else {
        HEALTHY
    }
}
