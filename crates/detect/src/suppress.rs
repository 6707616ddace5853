//! Sentinel's alert suppression (`suppressionEnabled` + `suppressionDuration`, "stop running
//! the query after an alert is generated"): once a run of a rule raises alerts, the rule does
//! not run again until the duration has passed. The clock is the run's `now` — in a replay, the
//! scheduled time of the step — never the wall clock, so a replay suppresses the same runs every
//! time.
//!
//! Peregrine still makes the suppressed runs, so that what they would have raised is counted
//! and listed ([`Suppressed`]) rather than silently lost. Suppression is per rule, not per
//! entity, as in Sentinel. A single (non-replay) hunt makes one run per rule, so suppression
//! never applies to it.

use crate::alert::Alert;
use crate::rule::Rule;
use serde::Serialize;

/// An alert a suppressed run would have raised.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Suppressed {
    pub system_alert_id: String,
    pub alert_name: String,
    pub rule_id: String,
    pub rule_name: String,
    pub start_time: String,
    pub end_time: String,
    /// The `now` of the suppressed run.
    pub run_time: String,
    /// When the suppression that covered the run ends.
    pub suppressed_until: String,
}

/// One rule's suppression state across its runs, in time order.
#[derive(Debug, Clone)]
pub struct Suppressor {
    duration: Option<i64>,
    until: Option<i64>,
}

impl Suppressor {
    pub fn new(rule: &Rule) -> Suppressor {
        Suppressor {
            duration: rule.suppression.filter(|d| *d > 0),
            until: None,
        }
    }

    /// The end of the suppression covering a run at `now`, if it is suppressed.
    pub fn suppressed_at(&self, now: i64) -> Option<i64> {
        self.until.filter(|u| now < *u)
    }

    /// Records a run at `now` that was not suppressed; a run that raised alerts starts a
    /// suppression (when the rule has one).
    pub fn ran(&mut self, now: i64, raised: bool) {
        if raised && let Some(d) = self.duration {
            self.until = Some(now.saturating_add(d));
        }
    }

    /// The record of `alert` held back by a run at `now` suppressed until `until`.
    pub fn record(alert: &Alert, now: i64, until: i64) -> Suppressed {
        let fmt = engine::value::datetime::format_iso;
        Suppressed {
            system_alert_id: alert.system_alert_id.clone(),
            alert_name: alert.alert_name.clone(),
            rule_id: alert.rule_id.clone(),
            rule_name: alert.rule_name.clone(),
            start_time: alert.start_time.clone(),
            end_time: alert.end_time.clone(),
            run_time: fmt(now),
            suppressed_until: fmt(until),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::types::TICKS_PER_HOUR as H;
    use std::path::Path;

    fn rule(extra: &str) -> Rule {
        let text = format!("name: r\nqueryFrequency: 1h\nqueryPeriod: 1h\n{extra}query: |\n  T\n");
        let mut rs = crate::rule::parse_text(&text, Path::new("r.yaml")).expect("parses");
        rs.remove(0)
    }

    #[test]
    fn suppresses_runs_until_the_duration_has_passed() {
        let r = rule("suppressionEnabled: true\nsuppressionDuration: 5h\n");
        assert_eq!(r.suppression, Some(5 * H));
        let mut s = Suppressor::new(&r);
        assert_eq!(s.suppressed_at(10 * H), None);
        s.ran(10 * H, true);
        for t in 11..15 {
            assert_eq!(s.suppressed_at(t * H), Some(15 * H), "run at {t}h");
        }
        // The run at exactly the end of the duration runs again.
        assert_eq!(s.suppressed_at(15 * H), None);
        s.ran(15 * H, false);
        assert_eq!(s.suppressed_at(16 * H), None);
    }

    #[test]
    fn a_run_without_alerts_starts_nothing() {
        let r = rule("suppressionEnabled: true\nsuppressionDuration: PT5H\n");
        let mut s = Suppressor::new(&r);
        s.ran(10 * H, false);
        assert_eq!(s.suppressed_at(11 * H), None);
    }

    #[test]
    fn disabled_or_absent_suppression_never_suppresses() {
        for extra in ["", "suppressionEnabled: false\nsuppressionDuration: 5h\n"] {
            let r = rule(extra);
            assert_eq!(r.suppression, None);
            let mut s = Suppressor::new(&r);
            s.ran(10 * H, true);
            assert_eq!(s.suppressed_at(11 * H), None);
        }
    }
}
