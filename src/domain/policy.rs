//! The cancellation policy: which rule applies, from the time left before the start.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::money::Money;

/// One rule: it applies when at least `min_hours_before` hours are left before the start
/// (the first rule, in order, whose threshold is met).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyRule {
    pub rule: String,
    pub min_hours_before: i64,
    pub fee_percent: i64,
    pub description: String,
}

/// The rule that applies when cancelling at `now` a booking that starts at `start`.
/// Rules are ordered from the most to the least notice; the last one has threshold 0
/// and also covers cancelling after the start.
pub fn applicable_rule(
    rules: &[PolicyRule],
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<&PolicyRule> {
    let left = start - now;
    rules
        .iter()
        .find(|r| left >= chrono::Duration::hours(r.min_hours_before))
        .or_else(|| rules.last())
}

/// The fee: a percentage of the standard charges, rounded half up to the minor unit.
pub fn fee(rule: &PolicyRule, total: &Money) -> Money {
    let amount = (total.amount_minor * rule.fee_percent + 50) / 100;
    Money::new(amount, &total.currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::Catalogue;
    use chrono::{Duration, TimeZone};

    fn rules() -> Vec<PolicyRule> {
        Catalogue::get().cancellation_policies["default"].clone()
    }

    #[test]
    fn default_policy_boundaries() {
        let start = Utc.with_ymd_and_hms(2027, 3, 1, 15, 0, 0).unwrap();
        let r = rules();
        let at = |d: Duration| applicable_rule(&r, start, start - d).unwrap().fee_percent;
        assert_eq!(at(Duration::days(30)), 0);
        assert_eq!(at(Duration::days(14)), 0, "exactly 14 days is free");
        assert_eq!(at(Duration::days(14) - Duration::seconds(1)), 50);
        assert_eq!(at(Duration::hours(48)), 50, "exactly 48 hours is 50%");
        assert_eq!(at(Duration::hours(48) - Duration::seconds(1)), 100);
        assert_eq!(at(Duration::zero()), 100);
        assert_eq!(at(-Duration::hours(2)), 100, "after the start is 100%");
    }

    #[test]
    fn fee_is_a_rounded_percentage() {
        let rule = PolicyRule {
            rule: "x".into(),
            min_hours_before: 0,
            fee_percent: 50,
            description: String::new(),
        };
        assert_eq!(fee(&rule, &Money::new(45001, "USD")).amount_minor, 22501);
        assert_eq!(fee(&rule, &Money::new(45000, "USD")).amount_minor, 22500);
    }
}
