//! Incidents from a hunt's alerts, after the rule's `incidentConfiguration`:
//!
//! * `createIncident: false` — the rule's alerts make no incident;
//! * grouping off (or no `incidentConfiguration`, Sentinel's default for a new rule) — one
//!   incident per alert;
//! * grouping on — alerts of the *same rule* (Sentinel never groups across rules) go into one
//!   incident when they match under `matchingMethod`:
//!   * `AnyAlert`: every alert matches;
//!   * `AllEntities`: the alerts' entity sets are equal;
//!   * `Selected`: equal on the entities of the types in `groupByEntities`, the alert details
//!     in `groupByAlertDetails` (`DisplayName`, `Severity`) and the custom details in
//!     `groupByCustomDetails`;
//!
//!   and the alert was created within `lookbackDuration` of the incident's first alert. An
//!   incident holds at most 150 alerts (Sentinel's limit); the next matching alert opens a new
//!   one. `reopenClosedIncident` has nothing to act on offline (no incident is ever closed).
//!
//! An alert's creation time is the run that raised it in a replay (`TimeGenerated`); in a
//! single hunt every alert has the same run time, so its newest evidence (`EndTime`) stands in.
//! Incident ids are derived from the member alert ids, so the same alerts give the same
//! incident.

use crate::alert::Alert;
use crate::rule::{Rule, Severity};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Sentinel's limit of alerts in one incident.
pub const MAX_ALERTS: usize = 150;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Incident {
    pub incident_id: String,
    /// The first alert's name.
    pub title: String,
    /// The highest severity among the alerts.
    pub severity: String,
    pub status: String,
    pub rule_id: String,
    pub rule_name: String,
    /// `None` (one incident per alert), `AnyAlert`, `AllEntities` or `Selected`.
    pub grouping: String,
    pub alert_ids: Vec<String>,
    /// Every entity of the alerts, once each (without the alerts' `$id`).
    pub entities: Vec<Value>,
    pub first_activity_time: String,
    pub last_activity_time: String,
}

/// The grouping a rule asks for.
#[derive(Debug, Clone, PartialEq)]
enum Method {
    /// No incident.
    Off,
    /// One incident per alert.
    PerAlert,
    AnyAlert,
    AllEntities,
    Selected {
        entities: Vec<String>,
        details: Vec<String>,
        custom: Vec<String>,
    },
}

fn method(rule: Option<&Rule>) -> (Method, i64) {
    let Some(cfg) = rule.and_then(|r| r.incident.as_ref()) else {
        return (Method::PerAlert, 0);
    };
    if !cfg.create_incident {
        return (Method::Off, 0);
    }
    if !cfg.enabled {
        return (Method::PerAlert, 0);
    }
    let m = match cfg.matching_method.to_ascii_lowercase().as_str() {
        "anyalert" => Method::AnyAlert,
        "selected" => Method::Selected {
            entities: cfg
                .group_by_entities
                .iter()
                .map(|t| crate::alert::entity_type_name(t))
                .collect(),
            details: cfg.group_by_alert_details.clone(),
            custom: cfg.group_by_custom_details.clone(),
        },
        _ => Method::AllEntities,
    };
    (m, cfg.lookback)
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Off => "Off",
        Method::PerAlert => "None",
        Method::AnyAlert => "AnyAlert",
        Method::AllEntities => "AllEntities",
        Method::Selected { .. } => "Selected",
    }
}

/// An entity without the alert-local `$id`.
fn bare(e: &Value) -> Value {
    match e {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| k.as_str() != "$id")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn entity_type(e: &Value) -> String {
    e.get("Type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The sorted, `$id`-free text of some entities: equal sets give equal text.
fn entity_set(es: impl Iterator<Item = Value>) -> String {
    let mut v: Vec<String> = es.map(|e| bare(&e).to_string()).collect();
    v.sort();
    v.dedup();
    v.join("\u{1}")
}

/// What two alerts must share to be grouped.
fn key(m: &Method, a: &Alert) -> String {
    match m {
        Method::Off | Method::PerAlert => a.system_alert_id.clone(),
        Method::AnyAlert => String::new(),
        Method::AllEntities => entity_set(a.entities.iter().cloned()),
        Method::Selected {
            entities,
            details,
            custom,
        } => {
            let mut parts = Vec::new();
            for t in entities {
                let set = entity_set(a.entities.iter().filter(|e| entity_type(e) == *t).cloned());
                parts.push(format!("e:{t}={set}"));
            }
            for d in details {
                let v = match d.to_ascii_lowercase().as_str() {
                    "displayname" => a.alert_name.clone(),
                    "severity" => a.severity.clone(),
                    _ => String::new(),
                };
                parts.push(format!("d:{d}={v}"));
            }
            for c in custom {
                let v = a
                    .extended_properties
                    .get(c)
                    .map(Value::to_string)
                    .unwrap_or_default();
                parts.push(format!("c:{c}={v}"));
            }
            parts.join("\u{2}")
        }
    }
}

fn time_of(s: &str) -> i64 {
    engine::value::datetime::parse(s).unwrap_or(0)
}

/// A uuid-shaped id from the sorted member alert ids.
fn incident_id(alert_ids: &[String]) -> String {
    let mut ids: Vec<&str> = alert_ids.iter().map(String::as_str).collect();
    ids.sort_unstable();
    let text = format!("incident\u{1}{}", ids.join("\u{1}"));
    engine::value::guid::of_bytes(text.as_bytes())
}

struct Open<'a> {
    rule: String,
    method: &'static str,
    first: i64,
    alerts: Vec<&'a Alert>,
}

/// Groups `alerts` into incidents by their rules' configuration. `by_run_time`: an alert's
/// creation time is its run's `TimeGenerated` (replay) rather than its `EndTime`.
pub fn group(alerts: &[Alert], rules: &[Rule], by_run_time: bool) -> Vec<Incident> {
    let by_id: HashMap<&str, &Rule> = rules.iter().map(|r| (r.id.as_str(), r)).collect();
    let created = |a: &Alert| {
        if by_run_time {
            time_of(&a.time_generated)
        } else {
            time_of(&a.end_time)
        }
    };
    let mut order: Vec<&Alert> = alerts.iter().collect();
    order.sort_by(|a, b| {
        created(a)
            .cmp(&created(b))
            .then(a.system_alert_id.cmp(&b.system_alert_id))
    });
    let mut incidents: Vec<Open> = Vec::new();
    // (rule id, key) → the index of the newest incident with that key.
    let mut newest: BTreeMap<(String, String), usize> = BTreeMap::new();
    for a in order {
        let (m, lookback) = method(by_id.get(a.rule_id.as_str()).copied());
        if m == Method::Off {
            continue;
        }
        let t = created(a);
        let k = (a.rule_id.clone(), key(&m, a));
        let grouping = !matches!(m, Method::PerAlert);
        if grouping
            && let Some(&i) = newest.get(&k)
            && let Some(inc) = incidents.get_mut(i)
            && t.saturating_sub(inc.first) <= lookback
            && inc.alerts.len() < MAX_ALERTS
        {
            inc.alerts.push(a);
            continue;
        }
        newest.insert(k, incidents.len());
        incidents.push(Open {
            rule: a.rule_id.clone(),
            method: method_name(&m),
            first: t,
            alerts: vec![a],
        });
    }
    incidents.into_iter().map(finish).collect()
}

/// The incidents after some of their alerts were taken away (exclusions): each keeps the
/// alerts of `alerts` it held, rebuilt from them (severity, entities, times and id), and one
/// left with none is dropped. Membership is not regrouped.
pub fn retain(incidents: Vec<Incident>, alerts: &[Alert]) -> Vec<Incident> {
    let by_id: HashMap<&str, &Alert> = alerts
        .iter()
        .map(|a| (a.system_alert_id.as_str(), a))
        .collect();
    let mut out = Vec::new();
    for inc in incidents {
        let members: Vec<&Alert> = inc
            .alert_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
        if members.len() == inc.alert_ids.len() {
            out.push(inc);
            continue;
        }
        if members.is_empty() {
            continue;
        }
        let method = match inc.grouping.as_str() {
            "AnyAlert" => "AnyAlert",
            "AllEntities" => "AllEntities",
            "Selected" => "Selected",
            _ => "None",
        };
        out.push(finish(Open {
            rule: inc.rule_id,
            method,
            first: 0,
            alerts: members,
        }));
    }
    out
}

fn finish(o: Open) -> Incident {
    let fmt = engine::value::datetime::format_iso;
    let first = o.alerts.first().copied();
    let severity = o
        .alerts
        .iter()
        .filter_map(|a| Severity::parse(&a.severity))
        .max()
        .unwrap_or(Severity::Informational);
    let mut entities: Vec<Value> = Vec::new();
    for a in &o.alerts {
        for e in &a.entities {
            let e = bare(e);
            if !entities.contains(&e) {
                entities.push(e);
            }
        }
    }
    let start = o.alerts.iter().map(|a| time_of(&a.start_time)).min();
    let end = o.alerts.iter().map(|a| time_of(&a.end_time)).max();
    let alert_ids: Vec<String> = o.alerts.iter().map(|a| a.system_alert_id.clone()).collect();
    Incident {
        incident_id: incident_id(&alert_ids),
        title: first.map(|a| a.alert_name.clone()).unwrap_or_default(),
        severity: severity.name().into(),
        status: "New".into(),
        rule_id: o.rule,
        rule_name: first.map(|a| a.rule_name.clone()).unwrap_or_default(),
        grouping: o.method.into(),
        alert_ids,
        entities,
        first_activity_time: fmt(start.unwrap_or(0)),
        last_activity_time: fmt(end.unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};
    use std::path::Path;

    fn rule(incident: &str) -> Rule {
        let text = format!(
            "id: r1\nname: Rule one\nseverity: Low\nqueryFrequency: 1h\nqueryPeriod: 1h\n{incident}query: |\n  T\n"
        );
        let mut rs = crate::rule::parse_text(&text, Path::new("r.yaml")).expect("parses");
        rs.remove(0)
    }

    fn alert(id: &str, user: &str, ip: &str, hour: i64, sev: &str) -> Alert {
        let t = engine::value::datetime::format_iso(
            1_700_000_000 * 10_000_000 + hour * engine::types::TICKS_PER_HOUR,
        );
        Alert {
            system_alert_id: id.into(),
            alert_name: format!("Alert for {user}"),
            description: String::new(),
            severity: sev.into(),
            tactics: vec![],
            techniques: vec![],
            start_time: t.clone(),
            end_time: t.clone(),
            time_generated: t,
            entities: vec![
                json!({"$id": "2", "Type": "account", "Name": user}),
                json!({"$id": "3", "Type": "ip", "Address": ip}),
            ],
            extended_properties: Map::new(),
            rule_id: "r1".into(),
            rule_name: "Rule one".into(),
            provider_name: "Peregrine".into(),
            evidence: vec![],
        }
    }

    fn grouping(method: &str, lookback: &str, extra: &str) -> String {
        format!(
            "incidentConfiguration:\n  createIncident: true\n  groupingConfiguration:\n    enabled: true\n    reopenClosedIncident: false\n    lookbackDuration: {lookback}\n    matchingMethod: {method}\n{extra}"
        )
    }

    fn sets(incs: &[Incident]) -> Vec<Vec<&str>> {
        let mut v: Vec<Vec<&str>> = incs
            .iter()
            .map(|i| {
                let mut ids: Vec<&str> = i.alert_ids.iter().map(String::as_str).collect();
                ids.sort();
                ids
            })
            .collect();
        v.sort();
        v
    }

    fn alerts() -> Vec<Alert> {
        vec![
            alert("a", "alice", "1.1.1.1", 0, "Low"),
            alert("b", "alice", "1.1.1.1", 1, "High"),
            alert("c", "alice", "2.2.2.2", 2, "Medium"),
            alert("d", "bob", "1.1.1.1", 3, "Low"),
            alert("e", "alice", "1.1.1.1", 9, "Low"),
        ]
    }

    #[test]
    fn without_configuration_each_alert_is_an_incident() {
        let incs = group(&alerts(), &[rule("")], false);
        assert_eq!(incs.len(), 5);
        assert!(incs.iter().all(|i| i.grouping == "None"));
    }

    #[test]
    fn create_incident_false_makes_none() {
        let r = rule("incidentConfiguration:\n  createIncident: false\n");
        assert!(group(&alerts(), &[r], false).is_empty());
    }

    #[test]
    fn any_alert_groups_within_the_lookback_from_the_first_alert() {
        let r = rule(&grouping("AnyAlert", "5h", ""));
        let incs = group(&alerts(), &[r], false);
        assert_eq!(sets(&incs), vec![vec!["a", "b", "c", "d"], vec!["e"]]);
        let first = incs
            .iter()
            .find(|i| i.alert_ids.len() == 4)
            .expect("the grouped incident");
        assert_eq!(first.severity, "High");
        assert_eq!(first.title, "Alert for alice");
        // Entities: alice, 1.1.1.1, 2.2.2.2, bob — once each, without $id.
        assert_eq!(first.entities.len(), 4);
        assert!(first.entities.iter().all(|e| e.get("$id").is_none()));
        assert!(first.first_activity_time < first.last_activity_time);
    }

    #[test]
    fn all_entities_needs_the_same_entity_set() {
        let r = rule(&grouping("AllEntities", "1d", ""));
        let incs = group(&alerts(), &[r], false);
        assert_eq!(sets(&incs), vec![vec!["a", "b", "e"], vec!["c"], vec!["d"]]);
    }

    #[test]
    fn selected_groups_by_the_chosen_entity_types_and_details() {
        let r = rule(&grouping(
            "Selected",
            "1d",
            "    groupByEntities:\n      - Account\n",
        ));
        let incs = group(&alerts(), std::slice::from_ref(&r), false);
        assert_eq!(sets(&incs), vec![vec!["a", "b", "c", "e"], vec!["d"]]);
        let r = rule(&grouping(
            "Selected",
            "1d",
            "    groupByEntities:\n      - Ip\n    groupByAlertDetails:\n      - Severity\n",
        ));
        let incs = group(&alerts(), &[r], false);
        assert_eq!(sets(&incs), vec![vec!["a", "d", "e"], vec!["b"], vec!["c"]]);
    }

    #[test]
    fn ids_depend_only_on_the_member_alerts() {
        let r = rule(&grouping("AnyAlert", "5h", ""));
        let a = group(&alerts(), std::slice::from_ref(&r), false);
        let mut reversed = alerts();
        reversed.reverse();
        let b = group(&reversed, std::slice::from_ref(&r), false);
        assert_eq!(a, b);
        assert_ne!(a[0].incident_id, a[1].incident_id);
    }

    #[test]
    fn excluded_alerts_leave_their_incidents() {
        let r = rule(&grouping("AnyAlert", "5h", ""));
        let all = alerts();
        let incs = group(&all, std::slice::from_ref(&r), false);
        // Keep a and c (the high-severity b and d go); e's incident empties and goes.
        let kept: Vec<Alert> = all
            .into_iter()
            .filter(|a| a.system_alert_id == "a" || a.system_alert_id == "c")
            .collect();
        let left = retain(incs, &kept);
        assert_eq!(sets(&left), vec![vec!["a", "c"]]);
        assert_eq!(left[0].severity, "Medium");
        assert_eq!(left[0].entities.len(), 3);
        assert_eq!(left[0], group(&kept, &[r], false)[0]);
    }

    #[test]
    fn an_incident_holds_at_most_150_alerts() {
        let r = rule(&grouping("AnyAlert", "1d", ""));
        let many: Vec<Alert> = (0..151)
            .map(|i| alert(&format!("x{i:03}"), "alice", "1.1.1.1", 0, "Low"))
            .collect();
        let incs = group(&many, &[r], false);
        assert_eq!(incs.len(), 2);
        assert_eq!(incs[0].alert_ids.len(), MAX_ALERTS);
    }
}
