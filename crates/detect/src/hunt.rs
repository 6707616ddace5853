//! A hunt: every rule run once over the store (or, with replay, once per scheduled step), the
//! alerts de-duplicated by id (and, across a replay's runs, by finding: rule, entities and
//! evidence start), per-rule errors kept beside them, replayed runs inside a rule's suppression
//! held back and counted, and the alerts grouped into incidents.

use crate::alert::Alert;
use crate::exclusions::{EntryReport, ExcludedAlert, Exclusions};
use crate::incident::Incident;
use crate::rule::{Kind, Rule};
use crate::run::{self, RuleError, Window};
use crate::suppress::{Suppressed, Suppressor};
use engine::catalog::Catalog;
use engine::datafusion::prelude::SessionContext;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct HuntResult {
    pub alerts: Vec<Alert>,
    pub errors: Vec<RuleError>,
    /// Rules run, and runs made (replay makes several per rule).
    pub rules_run: usize,
    pub runs: usize,
    /// Alerts raised again by a later run and reported once.
    pub duplicates: usize,
    /// Alerts that runs inside a rule's suppression would have raised (and no later run
    /// reported), and how many runs were suppressed (`suppress`).
    pub suppressed: Vec<Suppressed>,
    pub suppressed_runs: usize,
    /// The alerts grouped into incidents by their rules' `incidentConfiguration` (`incident`).
    pub incidents: Vec<Incident>,
    /// Alerts an exclusion entry dropped (see [`HuntResult::apply_exclusions`]).
    pub excluded: Vec<ExcludedAlert>,
    /// Per exclusion entry: its reason, whether it expired, how many alerts it dropped.
    pub exclusions: Vec<EntryReport>,
}

impl HuntResult {
    /// Moves the alerts an active exclusion entry matches from `alerts` to `excluded`;
    /// `now` (ticks, normally the wall clock) decides which entries have expired.
    pub fn apply_exclusions(&mut self, ex: &Exclusions, now: i64) {
        let applied = ex.apply(std::mem::take(&mut self.alerts), now);
        self.alerts = applied.kept;
        self.excluded.extend(applied.excluded);
        self.exclusions = applied.report;
        self.incidents = crate::incident::retain(std::mem::take(&mut self.incidents), &self.alerts);
    }
}

/// Runs each enabled rule once at `w`.
pub async fn hunt(
    rules: &[Rule],
    catalog: &dyn Catalog,
    session: &SessionContext,
    w: &Window,
    replay: bool,
) -> HuntResult {
    let mut out = HuntResult::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    // The alerts listed as suppressed: id → finding.
    let mut held: BTreeMap<String, String> = BTreeMap::new();
    for rule in rules.iter().filter(|r| r.enabled) {
        out.rules_run += 1;
        let windows = if replay {
            replay_windows(rule, w)
        } else {
            vec![*w]
        };
        let mut suppressor = Suppressor::new(rule);
        let mut findings: BTreeSet<String> = BTreeSet::new();
        for rw in windows {
            out.runs += 1;
            // A replayed run sees only what had happened by its `now`, as Sentinel's would.
            let as_of = run::AsOf {
                inner: catalog,
                now: rw.now,
            };
            let cat: &dyn Catalog = if replay { &as_of } else { catalog };
            match run::alerts(rule, cat, session, &rw).await {
                Ok(alerts) => {
                    if let Some(until) = suppressor.suppressed_at(rw.now) {
                        out.suppressed_runs += 1;
                        for a in alerts.iter().filter(|a| !seen.contains(&a.system_alert_id)) {
                            if !held.contains_key(&a.system_alert_id) {
                                held.insert(
                                    a.system_alert_id.clone(),
                                    crate::alert::finding_key(a),
                                );
                                out.suppressed.push(Suppressor::record(a, rw.now, until));
                            }
                        }
                        continue;
                    }
                    suppressor.ran(rw.now, !alerts.is_empty());
                    let mut this_run = Vec::new();
                    for a in alerts {
                        let finding = crate::alert::finding_key(&a);
                        // A finding an earlier run reported, raised again with other evidence,
                        // is a repeat too (within one run, alerts are kept apart).
                        if findings.contains(&finding) || !seen.insert(a.system_alert_id.clone()) {
                            out.duplicates += 1;
                        } else {
                            this_run.push(finding);
                            out.alerts.push(a);
                        }
                    }
                    findings.extend(this_run);
                }
                Err(e) => {
                    out.errors.push(e);
                    break;
                }
            }
        }
    }
    // Held back once but raised by a later run (as the same alert or the same finding):
    // reported, so not counted as suppressed.
    let reported: BTreeSet<String> = out.alerts.iter().map(crate::alert::finding_key).collect();
    out.suppressed.retain(|s| {
        !seen.contains(&s.system_alert_id)
            && held
                .get(&s.system_alert_id)
                .is_none_or(|f| !reported.contains(f))
    });
    out.incidents = crate::incident::group(&out.alerts, rules, replay);
    out
}

/// The runs Sentinel would have made over `[w.from, w.to]`: one per `queryFrequency` step,
/// each with `now` at the step's end (so `ago(queryPeriod)` covers its look-back). Hunting
/// queries and rules without a schedule run once over the whole range.
pub fn replay_windows(rule: &Rule, w: &Window) -> Vec<Window> {
    let (Some(freq), Kind::Scheduled | Kind::Nrt) = (rule.frequency, rule.kind) else {
        return vec![*w];
    };
    if freq <= 0 {
        return vec![*w];
    }
    let period = rule.period.unwrap_or(freq);
    // Steps end at `w.to` and go back one `queryFrequency` at a time until a step's
    // frequency window reaches before `w.from`: the last step is the single run at `w.to`, and
    // the steps' frequency windows tile the range without overlapping.
    let span = w.to.saturating_sub(w.from).max(0);
    let steps = span / freq + 1;
    (0..steps)
        .rev()
        .map(|k| {
            let now = w.to.saturating_sub(k.saturating_mul(freq));
            Window {
                now,
                from: now.saturating_sub(period),
                to: now,
            }
        })
        .collect()
}

/// Plans a rule without running it: syntax, unknown tables and columns, type errors — each at
/// the rule file's line and column. A table the store lacks gets a hint about where it comes
/// from.
pub fn validate(
    rule: &Rule,
    catalog: &dyn Catalog,
    session: &SessionContext,
    w: &Window,
) -> Result<(), RuleError> {
    let opts = engine::RunOptions {
        now: w.now,
        params: run::params(w),
    };
    engine::run::plan_query(catalog, session, &rule.query, &opts)
        .map(|_| ())
        .map_err(|e| {
            let mut rendered = run::render_error(rule, &e);
            if let Some(t) = missing_table(&e) {
                rendered.push_str(&format!("\n  = help: {}", table_hint(&t)));
            } else if e.to_string().contains("(no watchlists are defined)") {
                rendered.push_str(
                    "\n  = help: watchlists live in a store: validate with --store DIR, after `peregrine watchlist add`",
                );
            }
            RuleError {
                rule: rule.name.clone(),
                rendered,
            }
        })
}

fn missing_table(e: &engine::EngineError) -> Option<String> {
    let msg = e.to_string();
    let rest = msg.strip_prefix("unknown table '")?;
    Some(rest.split('\'').next()?.to_string())
}

/// The tables among `candidates` that a rule names: in its query text (as whole words) or in
/// its required data connectors.
pub fn tables_used(rule: &Rule, candidates: &[String]) -> Vec<String> {
    let words: BTreeSet<&str> = rule
        .query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    candidates
        .iter()
        .filter(|t| words.contains(t.as_str()) || rule.required_tables.contains(t))
        .cloned()
        .collect()
}

/// Where a missing table comes from.
pub fn table_hint(table: &str) -> String {
    match table {
        "BehaviorAnalytics" | "UserPeerAnalytics" | "IdentityInfo" => {
            format!("this rule needs {table}, which the store does not have — run `peregrine ueba`")
        }
        _ => format!(
            "this rule needs {table}, which the store does not have — ingest an export that holds it (`peregrine ingest FILE`)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::types::TICKS_PER_HOUR as H;
    use std::path::Path;

    #[test]
    fn replay_steps_end_at_to_and_tile_the_range() {
        let text = "name: r\nqueryFrequency: 1h\nqueryPeriod: 2h\nquery: |\n  T\n";
        let rule = crate::rule::parse_text(text, Path::new("r.yaml"))
            .expect("parses")
            .remove(0);
        let w = Window {
            now: 10 * H + H / 2,
            from: 7 * H + H / 4,
            to: 10 * H + H / 2,
        };
        let steps = replay_windows(&rule, &w);
        let nows: Vec<i64> = steps.iter().map(|s| s.now).collect();
        // The last step is the single run at `to`; the first one's hour reaches before `from`.
        assert_eq!(
            nows,
            [7 * H + H / 2, 8 * H + H / 2, 9 * H + H / 2, 10 * H + H / 2]
        );
        assert!(nows[0] - H < w.from);
        assert!(
            steps
                .iter()
                .all(|s| s.to == s.now && s.from == s.now - 2 * H)
        );
    }
}
