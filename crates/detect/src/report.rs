//! A self-contained HTML report of alerts: no external assets (inline CSS, a little inline
//! JS for expanding evidence), a timeline as inline SVG, alerts grouped by severity with their
//! typed entities, custom details and evidence rows. Every piece of data is HTML-escaped.

use crate::alert::Alert;
use crate::incident::Incident;
use crate::rule::Severity;
use serde_json::{Map, Value};
use std::fmt::Write;

/// What the report says about the run beside the alerts.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: String,
    /// (label, value) lines shown under the title.
    pub facts: Vec<(String, String)>,
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn sev_order(s: &str) -> u8 {
    Severity::parse(s).map_or(0, |s| s as u8)
}

fn sev_class(s: &str) -> &'static str {
    match s.to_ascii_lowercase().as_str() {
        "high" => "high",
        "medium" => "medium",
        "low" => "low",
        _ => "info",
    }
}

const CSS: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2430;--mute:#5b6676;--line:#dde2e8;
--high:#c62828;--medium:#ef6c00;--low:#f9a825;--info:#546e7a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#14213d;color:#fff;padding:20px 32px}
header h1{margin:0 0 6px;font-size:22px}
header dl{display:flex;flex-wrap:wrap;gap:6px 28px;margin:8px 0 0}
header dt{color:#9fb3d1;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
header dd{margin:0;font-weight:600}
main{padding:20px 32px;max-width:1400px}
.counts{display:flex;gap:12px;margin:0 0 18px}
.count{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--info);border-radius:6px;padding:10px 16px;min-width:120px}
.count b{display:block;font-size:24px}
.count.high{border-left-color:var(--high)}.count.medium{border-left-color:var(--medium)}
.count.low{border-left-color:var(--low)}
section.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:14px 18px;margin:0 0 18px}
h2{font-size:17px;margin:22px 0 10px}
.timeline svg{width:100%;height:auto;display:block}
.alert{border:1px solid var(--line);border-left:6px solid var(--info);border-radius:6px;background:var(--card);margin:0 0 12px;padding:12px 16px}
.alert.high{border-left-color:var(--high)}.alert.medium{border-left-color:var(--medium)}
.alert.low{border-left-color:var(--low)}
.alert h3{margin:0 0 4px;font-size:15px}
.sev{display:inline-block;font-size:11px;font-weight:700;color:#fff;border-radius:3px;padding:1px 7px;margin-right:8px;vertical-align:2px;background:var(--info)}
.sev.high{background:var(--high)}.sev.medium{background:var(--medium)}.sev.low{background:var(--low);color:#222}
.meta{color:var(--mute);font-size:12px}
.desc{margin:6px 0}
.ents{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}
.ent{border:1px solid var(--line);border-radius:12px;padding:2px 10px;font-size:12px;background:#f0f4f8}
.ent i{font-style:normal;color:var(--mute);margin-right:4px}
table{border-collapse:collapse;font-size:12px;margin:6px 0;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top;white-space:nowrap}
th{background:#eef1f5}
td.v{white-space:pre-wrap;word-break:break-word;min-width:120px;max-width:520px}
details summary{cursor:pointer;color:#1f4e8c;margin-top:6px}
.empty{color:var(--mute)}
"#;

const JS: &str = r#"
document.addEventListener('keydown',function(e){if(e.key==='e'){document.querySelectorAll('details').forEach(function(d){d.open=!d.open;});}});
"#;

/// The report for `alerts`.
pub fn html(alerts: &[Alert], meta: &Meta) -> String {
    html_with_incidents(alerts, &[], meta)
}

/// The report for `alerts`, with a table of the incidents they were grouped into.
pub fn html_with_incidents(alerts: &[Alert], incidents: &[Incident], meta: &Meta) -> String {
    let mut sorted: Vec<&Alert> = alerts.iter().collect();
    sorted.sort_by(|a, b| {
        sev_order(&b.severity)
            .cmp(&sev_order(&a.severity))
            .then(a.start_time.cmp(&b.start_time))
            .then(a.alert_name.cmp(&b.alert_name))
    });
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
    let _ = write!(
        h,
        "<title>{}</title><style>{CSS}</style></head><body>",
        esc(&meta.title)
    );
    let _ = write!(h, "<header><h1>{}</h1><dl>", esc(&meta.title));
    for (k, v) in &meta.facts {
        let _ = write!(h, "<div><dt>{}</dt><dd>{}</dd></div>", esc(k), esc(v));
    }
    h.push_str("</dl></header><main>");

    // Counts by severity.
    let sevs = ["High", "Medium", "Low", "Informational"];
    h.push_str("<div class=\"counts\">");
    let _ = write!(
        h,
        "<div class=\"count\"><b id=\"total\">{}</b>alerts</div>",
        alerts.len()
    );
    for s in sevs {
        let n = alerts
            .iter()
            .filter(|a| a.severity.eq_ignore_ascii_case(s))
            .count();
        let _ = write!(
            h,
            "<div class=\"count {}\"><b>{n}</b>{}</div>",
            sev_class(s),
            esc(s)
        );
    }
    h.push_str("</div>");

    h.push_str("<h2>Timeline</h2><section class=\"card timeline\">");
    h.push_str(&timeline(&sorted));
    h.push_str("</section>");

    if !incidents.is_empty() {
        incidents_html(&mut h, incidents);
    }
    if alerts.is_empty() {
        h.push_str("<p class=\"empty\">No alerts.</p>");
    }
    let mut idx = 0;
    for s in sevs {
        let group: Vec<&&Alert> = sorted
            .iter()
            .filter(|a| sev_class(&a.severity) == sev_class(s))
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = write!(
            h,
            "<h2 id=\"sev-{}\">{} severity ({})</h2>",
            sev_class(s),
            esc(s),
            group.len()
        );
        for a in group {
            idx += 1;
            alert_html(&mut h, a, idx);
        }
    }
    let _ = writeln!(h, "</main><script>{JS}</script></body></html>");
    h
}

fn incidents_html(h: &mut String, incidents: &[Incident]) {
    let mut sorted: Vec<&Incident> = incidents.iter().collect();
    sorted.sort_by(|a, b| {
        sev_order(&b.severity)
            .cmp(&sev_order(&a.severity))
            .then(a.first_activity_time.cmp(&b.first_activity_time))
    });
    let _ = write!(
        h,
        "<h2 id=\"incidents\">Incidents ({})</h2><section class=\"card\"><table><tr><th>Severity</th><th>Incident</th><th>Alerts</th><th>First activity</th><th>Last activity</th><th>Entities</th><th>Grouping</th></tr>",
        incidents.len()
    );
    for i in sorted {
        let ents: Vec<String> = i
            .entities
            .iter()
            .filter_map(|e| {
                let o = e.as_object()?;
                let t = o.get("Type").map(value_text).unwrap_or_default();
                let v = o
                    .iter()
                    .find(|(k, _)| *k != "Type")
                    .map(|(_, v)| value_text(v))?;
                Some(format!("{t}: {v}"))
            })
            .collect();
        let class = sev_class(&i.severity);
        let _ = write!(
            h,
            "<tr><td><span class=\"sev {class}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"v\">{}</td><td>{}</td></tr>",
            esc(&i.severity),
            esc(&i.title),
            i.alert_ids.len(),
            esc(&i.first_activity_time),
            esc(&i.last_activity_time),
            esc(&ents.join(", ")),
            esc(&i.grouping)
        );
    }
    h.push_str("</table></section>");
}

fn alert_html(h: &mut String, a: &Alert, idx: usize) {
    let class = sev_class(&a.severity);
    let _ = write!(
        h,
        "<article class=\"alert {class}\" id=\"alert-{idx}\"><h3><span class=\"sev {class}\">{}</span>{}</h3>",
        esc(&a.severity),
        esc(&a.alert_name)
    );
    let _ = write!(
        h,
        "<div class=\"meta\">{} → {} · rule: {} · tactics: {} · techniques: {} · id {}</div>",
        esc(&a.start_time),
        esc(&a.end_time),
        esc(&a.rule_name),
        esc(&a.tactics.join(", ")),
        esc(&a.techniques.join(", ")),
        esc(&a.system_alert_id)
    );
    if !a.description.is_empty() {
        let _ = write!(h, "<p class=\"desc\">{}</p>", esc(&a.description));
    }
    h.push_str("<div class=\"ents\">");
    for e in &a.entities {
        let Some(o) = e.as_object() else { continue };
        let t = o.get("Type").map(value_text).unwrap_or_default();
        let fields: Vec<String> = o
            .iter()
            .filter(|(k, _)| *k != "Type" && *k != "$id")
            .map(|(k, v)| format!("{}={}", esc(k), esc(&value_text(v))))
            .collect();
        let _ = write!(
            h,
            "<span class=\"ent\"><i>{}</i>{}</span>",
            esc(&t),
            fields.join(" · ")
        );
    }
    h.push_str("</div>");
    if !a.extended_properties.is_empty() {
        h.push_str("<table class=\"details\"><tr><th>Detail</th><th>Value</th></tr>");
        for (k, v) in &a.extended_properties {
            let text = match v {
                Value::Array(xs) => xs.iter().map(value_text).collect::<Vec<_>>().join(", "),
                other => value_text(other),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"v\">{}</td></tr>",
                esc(k),
                esc(&text)
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<details{}><summary>Evidence ({} row{})</summary>",
        if a.evidence.len() <= 3 { " open" } else { "" },
        a.evidence.len(),
        if a.evidence.len() == 1 { "" } else { "s" }
    );
    evidence_table(h, &a.evidence);
    h.push_str("</details></article>");
}

fn evidence_table(h: &mut String, rows: &[Map<String, Value>]) {
    let mut cols: Vec<&String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    h.push_str("<table class=\"evidence\"><tr>");
    for c in &cols {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for r in rows.iter().take(200) {
        h.push_str("<tr>");
        for c in &cols {
            let v = r.get(*c).map(value_text).unwrap_or_default();
            let _ = write!(h, "<td class=\"v\">{}</td>", esc(&v));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if rows.len() > 200 {
        let _ = write!(
            h,
            "<p class=\"empty\">{} more rows not shown</p>",
            rows.len() - 200
        );
    }
}

/// Alerts on a time axis: one lane per severity, a mark per alert (its start to its end).
fn timeline(alerts: &[&Alert]) -> String {
    let times: Vec<(i64, i64)> = alerts
        .iter()
        .map(|a| {
            let s = engine::value::datetime::parse(&a.start_time).unwrap_or(0);
            let e = engine::value::datetime::parse(&a.end_time).unwrap_or(s);
            (s, e.max(s))
        })
        .collect();
    let Some(lo) = times.iter().map(|t| t.0).min() else {
        return "<p class=\"empty\">No alerts to place on a timeline.</p>".into();
    };
    let hi = times.iter().map(|t| t.1).max().unwrap_or(lo);
    // Ticks are 100 ns; pad the axis by a minute either side.
    let minute = 600_000_000i64;
    let (lo, hi) = (lo - minute, hi + minute);
    let span = (hi - lo).max(1) as f64;
    let (w, left, right) = (1000.0, 110.0, 20.0);
    let lanes = ["High", "Medium", "Low", "Informational"];
    let lane_h = 34.0;
    let top = 10.0;
    let height = top + lane_h * lanes.len() as f64 + 30.0;
    let x = |t: i64| left + (t - lo) as f64 / span * (w - left - right);
    let mut s = format!(
        "<svg viewBox=\"0 0 {w} {height}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Alerts over time\">"
    );
    for (i, lane) in lanes.iter().enumerate() {
        let y = top + i as f64 * lane_h;
        let _ = write!(
            s,
            "<rect x=\"{left}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"/><text x=\"8\" y=\"{}\" font-size=\"12\" fill=\"#5b6676\">{}</text>",
            w - left - right,
            lane_h - 4.0,
            if i % 2 == 0 { "#f3f5f8" } else { "#fafbfc" },
            y + lane_h / 2.0 + 2.0,
            lane
        );
    }
    // Axis labels: start, middle, end.
    let axis_y = top + lane_h * lanes.len() as f64 + 16.0;
    for (i, t) in [lo, lo + (hi - lo) / 2, hi].into_iter().enumerate() {
        let anchor = ["start", "middle", "end"][i];
        let label = engine::value::datetime::format_iso(t);
        let label = label.get(..16).unwrap_or(&label).replace('T', " ");
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{axis_y}\" font-size=\"11\" fill=\"#5b6676\" text-anchor=\"{anchor}\">{} UTC</text>",
            x(t),
            esc(&label)
        );
    }
    let colors = ["#c62828", "#ef6c00", "#f9a825", "#546e7a"];
    for (i, (a, (st, en))) in alerts.iter().zip(times.iter()).enumerate() {
        let lane = lanes
            .iter()
            .position(|l| sev_class(l) == sev_class(&a.severity))
            .unwrap_or(3);
        let y = top + lane as f64 * lane_h + 5.0 + (i % 4) as f64 * 6.0;
        let x0 = x(*st);
        let wbar = (x(*en) - x0).max(6.0);
        let _ = write!(
            s,
            "<a href=\"#alert-{}\"><rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{wbar:.1}\" height=\"8\" rx=\"2\" fill=\"{}\" opacity=\"0.85\"><title>{} — {}</title></rect></a>",
            i + 1,
            colors[lane],
            esc(&a.alert_name),
            esc(&a.start_time)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(name: &str, sev: &str) -> Alert {
        let mut ev = Map::new();
        ev.insert(
            "UserPrincipalName".into(),
            json!("<script>alert(1)</script>"),
        );
        Alert {
            system_alert_id: "id".into(),
            alert_name: name.into(),
            description: "d & <b>".into(),
            severity: sev.into(),
            tactics: vec![],
            techniques: vec![],
            start_time: "2024-05-01T10:00:00Z".into(),
            end_time: "2024-05-01T10:05:00Z".into(),
            time_generated: "2024-05-01T12:00:00Z".into(),
            entities: vec![json!({"Type": "account", "Name": "\"><img src=x onerror=alert(1)>"})],
            extended_properties: Map::new(),
            rule_id: "r".into(),
            rule_name: "rule".into(),
            provider_name: "Peregrine".into(),
            evidence: vec![ev],
        }
    }

    #[test]
    fn lists_incidents_escaped() {
        let a = alert("<i>x</i>", "High");
        let incs = crate::incident::group(std::slice::from_ref(&a), &[], false);
        assert_eq!(incs.len(), 1);
        let h = html_with_incidents(&[a], &incs, &Meta::default());
        assert!(h.contains("Incidents (1)"), "{h}");
        assert!(h.contains("&lt;i&gt;x&lt;/i&gt;"));
        assert!(!h.contains("<i>x</i>"));
        assert!(!html(&[], &Meta::default()).contains("Incidents ("));
    }

    #[test]
    fn escapes_everything() {
        let h = html(
            &[alert("<b>x</b>", "High"), alert("y", "Low")],
            &Meta {
                title: "t<".into(),
                facts: vec![("a".into(), "<i>".into())],
            },
        );
        assert!(!h.contains("<script>alert"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("<b>x"));
        assert!(h.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(!h.contains("http://") || h.matches("http://").count() == 1); // the SVG namespace only
        assert!(!h.contains("<link") && !h.contains("<script src"));
    }

    #[test]
    fn empty_report() {
        let h = html(&[], &Meta::default());
        assert!(h.contains("No alerts"));
    }
}
