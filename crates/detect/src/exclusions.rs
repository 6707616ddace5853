//! Exclusions: tuning decisions, written down. A YAML file lists entries, each with a
//! mandatory `reason`; an entry drops the alerts it matches after the rules have run, and the
//! hunt counts what each entry dropped, so every suppression stays visible and auditable.
//!
//! ```yaml
//! exclusions:
//!   - reason: Break-glass account, monitored by its own alerting
//!     entity: breakglass@contoso.com          # any entity identifier (UPN, name, IP, app id, host…)
//!   - reason: Corporate egress ranges
//!     rules: [Password spray followed by a successful sign-in]   # rule names or ids; absent = every rule
//!     entity_type: ip                         # only entities of this type
//!     entity: [10.0.0.0/8, "2001:db8::/32"]   # several patterns: any may match
//!     expires: 2026-12-31                     # after this the entry is inactive (and reported expired)
//!   - reason: The vulnerability scanner's app
//!     column: AppDisplayName                  # an evidence column or a custom detail
//!     value: "regex:^Qualys( Cloud)?$"
//! ```
//!
//! Patterns: `regex:…` is a regular expression (unanchored, as written); a pattern with `*` or
//! `?` is a glob over the whole value (case-insensitive); an IP range in CIDR form (IPv4 or
//! IPv6) matches IP values inside it; an IP address matches the same address in any spelling;
//! anything else matches the whole value, case-insensitively.
//!
//! An exclusion never hides an alert that is also about something it does not cover: an
//! `entity` entry matches an alert when all of the alert's entities of the matching type match
//! (of `entity_type` when given, else of each type one of whose entities matches) — an alert
//! grouping sign-ins of an excluded and another account stays; a `column` entry matches when
//! every value of that column in the alert's evidence and custom details matches. An entry with
//! both needs both. An alert is excluded by the first active entry that matches it.

use crate::alert::{Alert, entity_type_name};
use crate::rule::Rule;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::IpAddr;
use std::path::Path;

/// An exclusions file that cannot be used: `origin:line:column: what was expected`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ExclusionError(pub String);

/// One way of matching a value.
#[derive(Debug, Clone)]
pub enum Pattern {
    Exact(String),
    Ip(IpAddr),
    Cidr { net: IpAddr, prefix: u8 },
    Glob(regex::Regex, String),
    Regex(regex::Regex),
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if let Some(re) = text.strip_prefix("regex:") {
            return regex::Regex::new(re)
                .map(Pattern::Regex)
                .map_err(|e| format!("expected a valid regular expression after 'regex:': {e}"));
        }
        if text.contains('*') || text.contains('?') {
            let mut re = String::from("(?is)^");
            for c in text.chars() {
                match c {
                    '*' => re.push_str(".*"),
                    '?' => re.push('.'),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
            }
            re.push('$');
            return regex::Regex::new(&re)
                .map(|r| Pattern::Glob(r, text.to_string()))
                .map_err(|e| format!("expected a glob pattern: {e}"));
        }
        if let Some((addr, bits)) = text.split_once('/')
            && let Ok(net) = addr.trim().parse::<IpAddr>()
        {
            let max = if net.is_ipv4() { 32 } else { 128 };
            let prefix = bits
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| {
                    format!("expected a CIDR prefix length 0-{max} after '/', found '{bits}'")
                })?;
            return Ok(Pattern::Cidr { net, prefix });
        }
        if let Ok(ip) = text.trim().parse::<IpAddr>() {
            return Ok(Pattern::Ip(canonical(ip)));
        }
        Ok(Pattern::Exact(text.to_lowercase()))
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(s) => value.to_lowercase() == *s,
            Pattern::Ip(ip) => parse_ip(value).is_some_and(|v| v == *ip),
            Pattern::Cidr { net, prefix } => {
                parse_ip(value).is_some_and(|v| in_cidr(v, *net, *prefix))
            }
            Pattern::Glob(re, _) | Pattern::Regex(re) => re.is_match(value),
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(canonical)
}

fn in_cidr(v: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (v, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        // An IPv4 range against an IPv4 address written as IPv4-mapped IPv6 is handled by
        // `canonical`; other mixes never match.
        _ => false,
    }
}

/// A string, or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Scalar),
    Many(Vec<Scalar>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Scalar {
    S(String),
    I(i64),
    F(f64),
    B(bool),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::S(s) => s,
            Scalar::I(i) => i.to_string(),
            Scalar::F(f) => f.to_string(),
            Scalar::B(b) => b.to_string(),
        }
    }
}

impl OneOrMany {
    fn list(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.text()],
            OneOrMany::Many(v) => v.into_iter().map(Scalar::text).collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    exclusions: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    reason: Option<String>,
    #[serde(default, alias = "rule")]
    rules: Option<OneOrMany>,
    #[serde(default)]
    entity: Option<OneOrMany>,
    #[serde(default)]
    entity_type: Option<String>,
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    value: Option<OneOrMany>,
    #[serde(default)]
    expires: Option<String>,
}

/// One exclusion.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `file#n`: where the entry is (n counts from 1).
    pub label: String,
    pub reason: String,
    /// Rule ids or names; empty = every rule.
    pub rules: Vec<String>,
    pub entity_type: Option<String>,
    pub entity: Vec<Pattern>,
    pub column: Option<String>,
    pub value: Vec<Pattern>,
    pub expires: Option<i64>,
    /// What the entry matches, for reports.
    pub description: String,
}

impl TryFrom<RawEntry> for Entry {
    type Error = String;
    fn try_from(r: RawEntry) -> Result<Entry, String> {
        let reason = r
            .reason
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or("expected a non-empty `reason` (why these alerts are excluded)")?;
        let pats = |v: Option<OneOrMany>, what: &str| -> Result<Vec<Pattern>, String> {
            let list = v.map(OneOrMany::list).unwrap_or_default();
            list.iter()
                .map(|p| Pattern::parse(p).map_err(|e| format!("`{what}` '{p}': {e}")))
                .collect()
        };
        let entity_list = r.entity.clone().map(OneOrMany::list).unwrap_or_default();
        let value_list = r.value.clone().map(OneOrMany::list).unwrap_or_default();
        let entity = pats(r.entity, "entity")?;
        let value = pats(r.value, "value")?;
        match (&r.column, value.is_empty()) {
            (Some(_), true) => return Err("`column` needs a `value` to match".into()),
            (None, false) => return Err("`value` needs a `column` to look in".into()),
            _ => {}
        }
        if r.entity_type.is_some() && entity.is_empty() {
            return Err("`entity_type` needs an `entity` pattern".into());
        }
        if entity.is_empty() && r.column.is_none() {
            return Err(
                "expected something to match: `entity` (an entity value) or `column` with `value`"
                    .into(),
            );
        }
        let expires = match &r.expires {
            None => None,
            Some(t) => Some(engine::value::datetime::parse(t).ok_or_else(|| {
                format!("`expires`: expected a datetime such as 2026-12-31 or 2026-12-31T18:00:00Z, found '{t}'")
            })?),
        };
        let rules = r.rules.map(OneOrMany::list).unwrap_or_default();
        let mut desc = Vec::new();
        if !entity_list.is_empty() {
            let ty = r
                .entity_type
                .as_deref()
                .map(|t| format!("{} ", entity_type_name(t)))
                .unwrap_or_default();
            desc.push(format!("{ty}entity {}", entity_list.join(" | ")));
        }
        if let Some(c) = &r.column {
            desc.push(format!("{c} = {}", value_list.join(" | ")));
        }
        if !rules.is_empty() {
            desc.push(format!("rules: {}", rules.join(", ")));
        }
        Ok(Entry {
            label: String::new(),
            reason,
            rules,
            entity_type: r.entity_type.map(|t| entity_type_name(&t)),
            entity,
            column: r.column,
            value,
            expires,
            description: desc.join("; "),
        })
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl Entry {
    /// Whether the entry applies to alerts of `rule_id`/`rule_name`.
    pub fn applies_to(&self, rule_id: &str, rule_name: &str) -> bool {
        self.rules.is_empty()
            || self.rules.iter().any(|r| {
                r.eq_ignore_ascii_case(rule_id) || r.trim().eq_ignore_ascii_case(rule_name)
            })
    }

    /// Active at `now` (ticks): no expiry, or `now` not after it.
    pub fn active(&self, now: i64) -> bool {
        self.expires.is_none_or(|e| now <= e)
    }

    /// The alert's entities of the entry's type, or — with no type given — of every type
    /// one of whose entities matches, all match (and there is at least one).
    fn entity_matches(&self, a: &Alert) -> bool {
        let typed: Vec<(&str, Vec<String>)> = a
            .entities
            .iter()
            .filter_map(Value::as_object)
            .map(|e| {
                let ty = e.get("Type").and_then(Value::as_str).unwrap_or("");
                let vals = e
                    .iter()
                    .filter(|(k, _)| *k != "Type" && *k != "$id")
                    .filter_map(|(_, v)| text_of(v))
                    .collect();
                (ty, vals)
            })
            .collect();
        let hit = |vals: &Vec<String>| {
            vals.iter()
                .any(|v| self.entity.iter().any(|p| p.matches(v)))
        };
        let types: Vec<&str> = match &self.entity_type {
            Some(t) => vec![t.as_str()],
            None => typed
                .iter()
                .filter(|(_, vals)| hit(vals))
                .map(|(t, _)| *t)
                .collect(),
        };
        let mut any = false;
        for (t, vals) in &typed {
            if types.contains(t) {
                if !hit(vals) {
                    return false;
                }
                any = true;
            }
        }
        any
    }

    /// Every value the alert has for `column` (evidence rows, custom details) matches, and
    /// there is at least one.
    fn column_matches(&self, a: &Alert, column: &str) -> bool {
        let mut values: Vec<String> = a
            .evidence
            .iter()
            .filter_map(|r| r.get(column))
            .filter_map(text_of)
            .collect();
        match a.extended_properties.get(column) {
            Some(Value::Array(vs)) => values.extend(vs.iter().filter_map(text_of)),
            Some(v) => values.extend(text_of(v)),
            None => {}
        }
        !values.is_empty()
            && values
                .iter()
                .all(|v| self.value.iter().any(|p| p.matches(v)))
    }

    /// Whether the entry matches the alert (its rule scope included; expiry not).
    pub fn matches(&self, a: &Alert) -> bool {
        if !self.applies_to(&a.rule_id, &a.rule_name) {
            return false;
        }
        let entity_ok = self.entity.is_empty() || self.entity_matches(a);
        let column_ok = match &self.column {
            None => true,
            Some(c) => self.column_matches(a, c),
        };
        entity_ok && column_ok
    }
}

/// The entries of one or more exclusions files, in order.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    pub entries: Vec<Entry>,
}

impl Exclusions {
    /// Parses an exclusions file's text; `origin` names it in errors and entry labels.
    pub fn parse(text: &str, origin: &str) -> Result<Exclusions, ExclusionError> {
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Ok(Exclusions::default());
        }
        let raw: RawFile = serde_norway::from_str(text).map_err(|e| {
            let (l, c) = e
                .location()
                .map(|l| (l.line(), l.column()))
                .unwrap_or((1, 1));
            ExclusionError(format!(
                "{origin}:{l}:{c}: error: {}",
                strip_location(&e.to_string())
            ))
        })?;
        let starts = entry_positions(text);
        let mut entries = Vec::with_capacity(raw.exclusions.len());
        for (i, r) in raw.exclusions.into_iter().enumerate() {
            let (l, c) = starts.get(i).copied().unwrap_or((1, 1));
            let mut e = Entry::try_from(r).map_err(|m| {
                ExclusionError(format!("{origin}:{l}:{c}: error: exclusion {}: {m}", i + 1))
            })?;
            e.label = format!("{origin}#{}", i + 1);
            entries.push(e);
        }
        Ok(Exclusions { entries })
    }

    pub fn load(path: &Path) -> Result<Exclusions, ExclusionError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ExclusionError(format!("{origin}: error: cannot read: {e}")))?;
        Exclusions::parse(&text, &origin)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn extend(&mut self, other: Exclusions) {
        self.entries.extend(other.entries);
    }

    /// Per-rule entries naming no loaded rule (by id or name): likely typos.
    pub fn unknown_rules(&self, rules: &[Rule]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in &self.entries {
            for r in &e.rules {
                let known = rules.iter().any(|x| {
                    x.id.eq_ignore_ascii_case(r) || x.name.trim().eq_ignore_ascii_case(r.trim())
                });
                if !known {
                    out.push((e.label.clone(), r.clone()));
                }
            }
        }
        out
    }

    /// Drops the alerts an active entry matches. `now` (ticks) decides expiry.
    pub fn apply(&self, alerts: Vec<Alert>, now: i64) -> Applied {
        let mut report: Vec<EntryReport> = self
            .entries
            .iter()
            .map(|e| EntryReport {
                entry: e.label.clone(),
                reason: e.reason.clone(),
                matches: e.description.clone(),
                expires: e.expires.map(engine::value::datetime::format_iso),
                expired: !e.active(now),
                excluded: 0,
            })
            .collect();
        let mut kept = Vec::new();
        let mut excluded = Vec::new();
        for a in alerts {
            let hit = self
                .entries
                .iter()
                .enumerate()
                .find(|(_, e)| e.active(now) && e.matches(&a));
            match hit {
                Some((i, e)) => {
                    report[i].excluded += 1;
                    excluded.push(ExcludedAlert {
                        entry: e.label.clone(),
                        reason: e.reason.clone(),
                        alert: a,
                    });
                }
                None => kept.push(a),
            }
        }
        Applied {
            kept,
            excluded,
            report,
        }
    }
}

/// serde_norway appends " at line L column C" to its messages; the location is printed first.
/// Messages naming internal types are said in the file's terms.
fn strip_location(msg: &str) -> String {
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    // serde's path `exclusions[0]` counts from 0; the rest of Peregrine says `exclusion 1`.
    let msg = match msg
        .strip_prefix("exclusions[")
        .and_then(|r| r.split_once(']'))
    {
        Some((n, rest)) => match n.parse::<usize>() {
            Ok(n) => format!("exclusion {}{rest}", n + 1),
            Err(_) => msg.to_string(),
        },
        None => msg.to_string(),
    };
    msg.replace(
        "data did not match any variant of untagged enum OneOrMany",
        "expected a string or a list of strings",
    )
    .replace(
        "expected struct RawFile",
        "expected a mapping with an `exclusions:` list",
    )
    .replace(
        "expected struct RawEntry",
        "expected a mapping (an exclusion)",
    )
}

/// Where each item of the top-level `exclusions:` list starts (line, column), for errors
/// found after parsing. A block list's items are the `- ` lines at the list's indentation.
fn entry_positions(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut in_list = false;
    let mut indent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let body = line.trim_start();
        let col = line.len() - body.len();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if col == 0 && !body.starts_with('-') {
            in_list = body.starts_with("exclusions:");
            indent = None;
            continue;
        }
        if !in_list || !(body.starts_with("- ") || body == "-") {
            continue;
        }
        match indent {
            None => {
                indent = Some(col);
                out.push((n + 1, col + 1));
            }
            Some(i) if i == col => out.push((n + 1, col + 1)),
            _ => {}
        }
    }
    out
}

/// What each entry did in a hunt.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct EntryReport {
    pub entry: String,
    pub reason: String,
    pub matches: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub expired: bool,
    pub excluded: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExcludedAlert {
    pub entry: String,
    pub reason: String,
    pub alert: Alert,
}

#[derive(Debug, Default)]
pub struct Applied {
    pub kept: Vec<Alert>,
    pub excluded: Vec<ExcludedAlert>,
    pub report: Vec<EntryReport>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn alert(rule: &str, entities: Value, evidence: Value) -> Alert {
        let evidence: Vec<Map<String, Value>> = evidence
            .as_array()
            .map(|a| a.iter().filter_map(|r| r.as_object().cloned()).collect())
            .unwrap_or_default();
        Alert {
            system_alert_id: format!("id-{rule}-{entities}"),
            alert_name: rule.into(),
            description: String::new(),
            severity: "Medium".into(),
            tactics: vec![],
            techniques: vec![],
            start_time: String::new(),
            end_time: String::new(),
            time_generated: String::new(),
            entities: entities.as_array().cloned().unwrap_or_default(),
            extended_properties: Map::new(),
            rule_id: format!("{rule}-id"),
            rule_name: rule.into(),
            provider_name: "Peregrine".into(),
            evidence,
        }
    }

    fn ip_alert(rule: &str, ip: &str) -> Alert {
        alert(rule, json!([{"Type": "ip", "Address": ip}]), json!([]))
    }

    fn ex(yaml: &str) -> Exclusions {
        Exclusions::parse(yaml, "ex.yaml").unwrap()
    }

    const T2026: &str = "2026-06-01T00:00:00Z";

    fn t(s: &str) -> i64 {
        engine::value::datetime::parse(s).unwrap()
    }

    #[test]
    fn cidr_v4() {
        let p = Pattern::parse("10.0.0.0/8").unwrap();
        assert!(p.matches("10.255.1.2"));
        assert!(!p.matches("11.0.0.1"));
        assert!(!p.matches("not an ip"));
        assert!(
            p.matches("::ffff:10.1.1.1"),
            "IPv4-mapped IPv6 is the IPv4 address"
        );
        assert!(Pattern::parse("0.0.0.0/0").unwrap().matches("1.2.3.4"));
        assert!(Pattern::parse("1.2.3.4/32").unwrap().matches("1.2.3.4"));
        assert!(!Pattern::parse("1.2.3.4/32").unwrap().matches("1.2.3.5"));
        assert!(Pattern::parse("10.0.0.0/33").is_err());
        assert!(Pattern::parse("10.0.0.0/x").is_err());
    }

    #[test]
    fn cidr_v6() {
        let p = Pattern::parse("2001:db8::/32").unwrap();
        assert!(p.matches("2001:db8:ffff::1"));
        assert!(p.matches("2001:0DB8:0000::0001"));
        assert!(!p.matches("2001:db9::1"));
        assert!(!p.matches("10.0.0.1"));
        assert!(Pattern::parse("::/0").unwrap().matches("fe80::1"));
        assert!(Pattern::parse("2001:db8::/129").is_err());
        // A plain address matches its other spellings.
        assert!(
            Pattern::parse("2001:db8::1")
                .unwrap()
                .matches("2001:0db8:0:0::1")
        );
    }

    #[test]
    fn glob_regex_exact() {
        let g = Pattern::parse("svc-*@contoso.com").unwrap();
        assert!(g.matches("SVC-backup@contoso.com"));
        assert!(!g.matches("svc-backup@contoso.com.evil"));
        let q = Pattern::parse("host-??").unwrap();
        assert!(q.matches("host-01") && !q.matches("host-001"));
        let r = Pattern::parse("regex:^Qualys( Cloud)?$").unwrap();
        assert!(r.matches("Qualys Cloud") && !r.matches("qualys"));
        assert!(Pattern::parse("regex:(").is_err());
        let e = Pattern::parse("Alice@Contoso.com").unwrap();
        assert!(e.matches("alice@contoso.com") && !e.matches("alice@contoso.co"));
        // Regex metacharacters in a glob are literal.
        assert!(Pattern::parse("a.b*").unwrap().matches("a.bc"));
        assert!(!Pattern::parse("a.b*").unwrap().matches("axbc"));
    }

    #[test]
    fn global_and_per_rule_entries() {
        let x = ex("exclusions:
  - reason: office egress
    entity: 10.0.0.0/8
    rules: Spray
  - reason: scanner everywhere
    entity: 192.0.2.7
");
        let alerts = vec![
            ip_alert("Spray", "10.1.1.1"),
            ip_alert("Travel", "10.1.1.1"),
            ip_alert("Travel", "192.0.2.7"),
            ip_alert("Spray", "192.0.2.7"),
        ];
        let out = x.apply(alerts, 0);
        assert_eq!(out.kept.len(), 1);
        assert_eq!(out.kept[0].rule_name, "Travel");
        assert_eq!(out.report[0].excluded, 1);
        assert_eq!(out.report[1].excluded, 2);
        assert_eq!(out.excluded[0].reason, "office egress");
        // By rule id too, case-insensitively.
        let y = ex("exclusions:\n  - reason: r\n    rule: SPRAY-ID\n    entity: 10.0.0.0/8\n");
        assert_eq!(
            y.apply(vec![ip_alert("Spray", "10.0.0.1")], 0).kept.len(),
            0
        );
    }

    #[test]
    fn expiry_edge() {
        let x = ex(&format!(
            "exclusions:\n  - reason: temporary\n    entity: 10.0.0.1\n    expires: {T2026}\n"
        ));
        let at = t(T2026);
        let on = x.apply(vec![ip_alert("R", "10.0.0.1")], at);
        assert_eq!(on.kept.len(), 0, "active at the expiry instant");
        assert!(!on.report[0].expired);
        let after = x.apply(vec![ip_alert("R", "10.0.0.1")], at + 1);
        assert_eq!(after.kept.len(), 1, "inactive one tick later");
        assert!(after.report[0].expired);
        assert_eq!(after.report[0].excluded, 0);
        // A date alone means its midnight.
        let d = ex("exclusions:\n  - reason: r\n    entity: x\n    expires: 2026-06-01\n");
        assert_eq!(d.entries[0].expires, Some(at));
    }

    #[test]
    fn entity_type_and_columns() {
        let x = ex("exclusions:
  - reason: the scanner app
    column: AppDisplayName
    value: [\"regex:^Qualys\", Nessus]
  - reason: accounts only
    entity_type: Account
    entity: \"svc-*\"
");
        let a = alert(
            "R",
            json!([{"Type": "ip", "Address": "svc-1"}]),
            json!([{"AppDisplayName": "Qualys Cloud"}]),
        );
        let b = alert(
            "R",
            json!([{"Type": "ip", "Address": "svc-1"}]),
            json!([{"AppDisplayName": "Teams"}]),
        );
        let c = alert(
            "R",
            json!([{"Type": "account", "Name": "svc-2", "UPNSuffix": "x.com"}]),
            json!([]),
        );
        let mut d = alert("R", json!([]), json!([]));
        d.extended_properties
            .insert("AppDisplayName".into(), json!(["Nessus"]));
        let out = x.apply(vec![a, b, c, d], 0);
        assert_eq!(out.kept.len(), 1);
        assert_eq!(out.kept[0].evidence[0]["AppDisplayName"], "Teams");
        assert_eq!(out.report[0].excluded, 2);
        assert_eq!(out.report[1].excluded, 1);
    }

    #[test]
    fn an_alert_also_about_something_else_stays() {
        let x = ex("exclusions:
  - reason: egress
    entity: 10.0.0.0/8
  - reason: bots
    column: App
    value: bot-*
");
        // One IP excluded, one not: the alert stays.
        let mixed = alert(
            "R",
            json!([{"Type":"ip","Address":"10.0.0.1"},{"Type":"ip","Address":"203.0.113.9"}]),
            json!([]),
        );
        // Only excluded IPs (and an account, another type): excluded.
        let only = alert(
            "R",
            json!([{"Type":"ip","Address":"10.0.0.1"},{"Type":"ip","Address":"10.9.9.9"},{"Type":"account","Name":"bob"}]),
            json!([]),
        );
        let rows = alert("R", json!([]), json!([{"App":"bot-1"},{"App":"Teams"}]));
        let out = x.apply(vec![mixed, only, rows], 0);
        assert_eq!(out.kept.len(), 2);
        assert_eq!(out.report[0].excluded, 1);
        assert_eq!(out.report[1].excluded, 0);
        // With a type named, entities of that type must all match.
        let y = ex("exclusions:\n  - reason: r\n    entity_type: account\n    entity: bob\n");
        let two = alert(
            "R",
            json!([{"Type":"account","Name":"bob"},{"Type":"account","Name":"eve"}]),
            json!([]),
        );
        assert_eq!(y.apply(vec![two], 0).kept.len(), 1);
    }

    #[test]
    fn both_matchers_must_match() {
        let x = ex("exclusions:
  - reason: r
    entity: 10.0.0.1
    column: AppDisplayName
    value: Teams
");
        let a = alert(
            "R",
            json!([{"Type":"ip","Address":"10.0.0.1"}]),
            json!([{"AppDisplayName":"Teams"}]),
        );
        let b = alert(
            "R",
            json!([{"Type":"ip","Address":"10.0.0.1"}]),
            json!([{"AppDisplayName":"Outlook"}]),
        );
        assert_eq!(x.apply(vec![a, b], 0).kept.len(), 1);
    }

    #[test]
    fn errors_carry_file_line_column() {
        let e = Exclusions::parse("exclusions:\n  - reason: r\n    entty: x\n", "ex.yaml")
            .unwrap_err()
            .0;
        assert!(
            e.starts_with("ex.yaml:3:5: error: exclusion 1: unknown field `entty`"),
            "{e}"
        );
        let e = Exclusions::parse(
            "exclusions:\n  - reason: ok\n    entity: a\n  - entity: 10.0.0.0/99\n    reason: r\n",
            "ex.yaml",
        )
        .unwrap_err()
        .0;
        assert!(e.starts_with("ex.yaml:4:3: error: exclusion 2:"), "{e}");
        assert!(e.contains("prefix length"), "{e}");
        let e = Exclusions::parse("exclusions:\n  - entity: a\n", "ex.yaml")
            .unwrap_err()
            .0;
        assert!(e.starts_with("ex.yaml:2:3:") && e.contains("reason"), "{e}");
        let e = Exclusions::parse("exclusions:\n  - reason: r\n", "ex.yaml")
            .unwrap_err()
            .0;
        assert!(e.contains("expected something to match"), "{e}");
        let e = Exclusions::parse(
            "exclusions:\n  - reason: r\n    entity: a\n    expires: soon\n",
            "ex.yaml",
        )
        .unwrap_err()
        .0;
        assert!(e.contains("expires") && e.contains("'soon'"), "{e}");
        let e = Exclusions::parse("exclusions: [\n", "ex.yaml")
            .unwrap_err()
            .0;
        assert!(e.starts_with("ex.yaml:"), "{e}");
        assert!(Exclusions::parse("", "ex.yaml").unwrap().is_empty());
    }
}
