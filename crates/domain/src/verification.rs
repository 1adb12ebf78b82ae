//! Re-verification (issue 17): publishing a network verifies its profile, and its editors
//! re-confirm it later without a full review. A verification keeps the profile current for
//! [`VERIFICATION_VALID_DAYS`]; after that the network is due (`verification_overdue`) and
//! LOPPSOZ criterion 7, an up-to-date website, is no longer met. One constant for both.
//!
//! Pure: the caller passes the moment ("now") in.

use crate::RegistryState;
use chrono::{DateTime, Duration, Utc};

/// How long a verification keeps a profile current (12 months).
pub const VERIFICATION_VALID_DAYS: i64 = 365;

/// A verification made before this moment has run out at `now`.
pub fn due_before(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(VERIFICATION_VALID_DAYS)
}

/// When a verification made at `verified_at` runs out.
pub fn runs_out_at(verified_at: DateTime<Utc>) -> DateTime<Utc> {
    verified_at + Duration::days(VERIFICATION_VALID_DAYS)
}

/// Where a profile's verification stands at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Never verified (a network that was never published): not known yet.
    Never,
    /// Verified within the last [`VERIFICATION_VALID_DAYS`].
    Current,
    /// Verified, but longer ago.
    Lapsed,
}

impl Verification {
    /// The state at `now` of a profile last verified at `last_verified_at`.
    pub fn at(last_verified_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match last_verified_at {
            None => Verification::Never,
            Some(t) if t < due_before(now) => Verification::Lapsed,
            Some(_) => Verification::Current,
        }
    }
}

/// Whether a network in `state`, last verified at `last_verified_at`, is due for
/// re-verification at `now` (only published networks are).
pub fn is_due(
    state: RegistryState,
    last_verified_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    state == RegistryState::Published
        && Verification::at(last_verified_at, now) != Verification::Current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verification_lasts_a_year() {
        let now = Utc::now();
        let ago = |d: i64| Some(now - Duration::days(d));
        assert_eq!(Verification::at(None, now), Verification::Never);
        assert_eq!(Verification::at(ago(0), now), Verification::Current);
        assert_eq!(Verification::at(ago(364), now), Verification::Current);
        assert_eq!(
            Verification::at(ago(VERIFICATION_VALID_DAYS), now),
            Verification::Current,
            "the last day still counts"
        );
        assert_eq!(
            Verification::at(Some(due_before(now) - Duration::seconds(1)), now),
            Verification::Lapsed
        );
        assert_eq!(Verification::at(ago(366), now), Verification::Lapsed);
        let t = now - Duration::days(10);
        assert_eq!(
            Verification::at(Some(t), runs_out_at(t)),
            Verification::Current
        );
        assert_eq!(
            Verification::at(Some(t), runs_out_at(t) + Duration::seconds(1)),
            Verification::Lapsed
        );
    }

    #[test]
    fn only_published_networks_fall_due_after_a_year() {
        let now = Utc::now();
        let days = |d: i64| Some(now - Duration::days(d));
        assert!(!is_due(RegistryState::Published, days(364), now));
        assert!(is_due(RegistryState::Published, days(366), now));
        assert!(is_due(RegistryState::Published, None, now));
        for state in [
            RegistryState::Draft,
            RegistryState::Submitted,
            RegistryState::Archived,
        ] {
            assert!(!is_due(state, days(400), now), "{state}");
        }
    }
}
