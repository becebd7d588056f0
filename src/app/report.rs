//! The end-of-run report in words: whether the availability objective held and how much of
//! its error budget burned, what failed first, the top error classes, what changed when
//! (faults, operator actions, settings), and each endpoint's outcomes. Built once from a
//! finished run, shown on the page and downloadable as Markdown or HTML.

use outage_lab_engine::observe::LogEvent;
use outage_lab_engine::{Scenario, Simulation, Summary};

/// The availability objective the report judges: at most this share of answers fail.
pub const SLO_FAILED_MAX: f64 = 0.01;

/// A setting changed during the run: when (virtual seconds), which, and to what.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingChange {
    /// When, in virtual seconds.
    pub t_s: f64,
    /// The knob's label.
    pub setting: &'static str,
    /// The value entered.
    pub value: String,
}

/// One endpoint's line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointLine {
    /// Its name.
    pub name: String,
    /// Answers.
    pub answers: u64,
    /// Share that succeeded.
    pub ok_share: f64,
    /// 500s, 502s, 503s, 504s and client timeouts.
    pub failures: [u64; 5],
}

/// The report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The run's title and seed.
    pub title: String,
    /// The share of answers that failed (5xx and client timeouts).
    pub failed_share: f64,
    /// Whether the objective held.
    pub slo_met: bool,
    /// The error budget burned, in percent of it (100 % is all of it).
    pub budget_burned_pct: f64,
    /// The first warning and the first error of the first incident: (seconds, message).
    pub first_warning: Option<(f64, String)>,
    /// The first error of the first incident.
    pub first_error: Option<(f64, String)>,
    /// The most frequent error classes, most first: (class, count).
    pub top_errors: Vec<(String, u64)>,
    /// What happened when, in time order: (seconds, what).
    pub timeline: Vec<(f64, String)>,
    /// Each endpoint.
    pub endpoints: Vec<EndpointLine>,
}

fn event(e: &LogEvent) -> (f64, String) {
    (e.t_ms / 1000.0, e.message.clone())
}

impl Report {
    /// The report of `sim` (finished or not: it reports so far), run from `scenario`, with the
    /// settings changed along the way.
    pub fn of(
        title: &str,
        scenario: &Scenario,
        sim: &Simulation,
        changes: &[SettingChange],
        faults_shown: bool,
    ) -> Report {
        let summary = sim.summary();
        let failed_share = summary.status.rate_failed();
        let logs = sim.logs();
        Report {
            title: format!("{title} (seed {})", scenario.seed),
            failed_share,
            slo_met: failed_share <= SLO_FAILED_MAX,
            budget_burned_pct: 100.0 * failed_share / SLO_FAILED_MAX,
            first_warning: logs
                .incident_warnings()
                .first()
                .and_then(|w| w.as_ref().map(event)),
            first_error: logs.incident_starts().first().map(event),
            top_errors: top_errors(&summary),
            timeline: timeline(sim, changes, faults_shown),
            endpoints: endpoints(&summary),
        }
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut md = format!("# Run report: {}\n\n", self.title);
        md.push_str(&format!(
            "**{}** {}\n\n",
            self.verdict_word(),
            self.verdict_text()
        ));
        md.push_str("## What failed first\n\n");
        for line in self.first_lines() {
            md.push_str(&format!("- {line}\n"));
        }
        md.push_str("\n## Top error classes\n\n");
        for (class, n) in &self.top_errors {
            md.push_str(&format!("- {class}: {n}\n"));
        }
        if self.top_errors.is_empty() {
            md.push_str("- none\n");
        }
        md.push_str("\n## What changed when\n\n");
        for (t, what) in &self.timeline {
            md.push_str(&format!("- {t:.1} s: {what}\n"));
        }
        md.push_str("\n## Endpoints\n\n| endpoint | answers | ok | 500 | 502 | 503 | 504 | client timeouts |\n|---|---|---|---|---|---|---|---|\n");
        for e in &self.endpoints {
            let [a, b, c, d, t] = e.failures;
            md.push_str(&format!(
                "| {} | {} | {:.1} % | {a} | {b} | {c} | {d} | {t} |\n",
                e.name,
                e.answers,
                100.0 * e.ok_share
            ));
        }
        md
    }

    /// The report as a standalone HTML document.
    pub fn to_html(&self) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let mut h = format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Run report: {0}</title><body style=\"font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto\"><h1>Run report: {0}</h1><p><strong>{1}</strong> {2}</p><h2>What failed first</h2><ul>",
            esc(&self.title),
            self.verdict_word(),
            esc(&self.verdict_text())
        );
        for line in self.first_lines() {
            h.push_str(&format!("<li>{}</li>", esc(&line)));
        }
        h.push_str("</ul><h2>Top error classes</h2><ul>");
        for (class, n) in &self.top_errors {
            h.push_str(&format!("<li>{}: {n}</li>", esc(class)));
        }
        h.push_str("</ul><h2>What changed when</h2><ul>");
        for (t, what) in &self.timeline {
            h.push_str(&format!("<li>{t:.1} s: {}</li>", esc(what)));
        }
        h.push_str("</ul><h2>Endpoints</h2><table border=\"1\" cellpadding=\"4\" style=\"border-collapse: collapse\"><tr><th>endpoint</th><th>answers</th><th>ok</th><th>500</th><th>502</th><th>503</th><th>504</th><th>client timeouts</th></tr>");
        for e in &self.endpoints {
            let [a, b, c, d, t] = e.failures;
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{:.1} %</td><td>{a}</td><td>{b}</td><td>{c}</td><td>{d}</td><td>{t}</td></tr>",
                esc(&e.name),
                e.answers,
                100.0 * e.ok_share
            ));
        }
        h.push_str("</table></body></html>\n");
        h
    }

    /// "Objective met" or "Objective missed".
    pub fn verdict_word(&self) -> &'static str {
        if self.slo_met {
            "Objective met."
        } else {
            "Objective missed."
        }
    }

    /// The objective in words, with the figures.
    pub fn verdict_text(&self) -> String {
        format!(
            "{:.2} % of answers failed (5xx and client timeouts) against an objective of at most {} %: {:.0} % of the error budget burned.",
            100.0 * self.failed_share,
            100.0 * SLO_FAILED_MAX,
            self.budget_burned_pct
        )
    }

    /// What failed first, in lines.
    pub fn first_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some((t, m)) = &self.first_warning {
            lines.push(format!("first warning, {t:.1} s: {m}"));
        }
        match &self.first_error {
            Some((t, m)) => lines.push(format!("first error of the first incident, {t:.1} s: {m}")),
            None => lines.push("no incident: errors never came in a burst".into()),
        }
        lines
    }
}

fn top_errors(s: &Summary) -> Vec<(String, u64)> {
    let json = serde_json::to_value(s.errors).unwrap_or_default();
    let mut classes: Vec<(String, u64)> = json
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.replace('_', " "), v.as_u64()?)))
                .filter(|(_, n)| *n > 0)
                .collect()
        })
        .unwrap_or_default();
    classes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    classes.truncate(5);
    classes
}

fn timeline(sim: &Simulation, changes: &[SettingChange], faults_shown: bool) -> Vec<(f64, String)> {
    let config = sim.config();
    let mut t: Vec<(f64, String)> = Vec::new();
    for f in config.faults().iter().filter(|_| faults_shown) {
        let name = super::words::fault_name(f.kind);
        t.push((f.start.as_secs_f64(), format!("{name} starts")));
        if f.end > f.start {
            t.push((f.end.as_secs_f64(), format!("{name} ends")));
        }
    }
    for a in config.actions() {
        let what = outage_lab_engine::config::action_name(a.kind).replace('_', " ");
        t.push((a.at.as_secs_f64(), format!("operator: {what}")));
    }
    for c in changes {
        t.push((c.t_s, format!("setting {} set to {}", c.setting, c.value)));
    }
    for a in &sim.alerts().history {
        let rule = super::words::rule_text(a.rule);
        t.push((a.fired_s as f64, format!("alert fired: {rule}")));
        if let Some(r) = a.resolved_s {
            t.push((r as f64, format!("alert resolved: {rule}")));
        }
    }
    t.sort_by(|a, b| a.0.total_cmp(&b.0));
    t
}

fn endpoints(s: &Summary) -> Vec<EndpointLine> {
    s.endpoints
        .iter()
        .map(|e| {
            let c = &e.status;
            EndpointLine {
                name: e.name.clone(),
                answers: c.total(),
                ok_share: if c.total() == 0 {
                    0.0
                } else {
                    c.ok_200 as f64 / c.total() as f64
                },
                failures: [
                    c.error_500,
                    c.bad_gateway_502,
                    c.unavailable_503,
                    c.gateway_timeout_504,
                    c.client_timeout,
                ],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_incidents_report_misses_the_objective_and_tells_the_story_in_order() {
        let scenario = crate::app::link::LinkState::from_preset("seed-incident")
            .expect("bundled")
            .scenario;
        let mut sim =
            Simulation::new(outage_lab_engine::Config::from_scenario(&scenario).expect("valid"));
        sim.run_to_end();
        let changes = [SettingChange {
            t_s: 100.0,
            setting: "Pool size",
            value: "50".into(),
        }];
        let r = Report::of("Black Friday", &scenario, &sim, &changes, true);
        assert!(!r.slo_met && r.budget_burned_pct > 1_000.0, "{r:?}");
        assert!(r
            .first_warning
            .as_ref()
            .unwrap()
            .1
            .starts_with("Connection leak detection"));
        assert!(r
            .first_error
            .as_ref()
            .unwrap()
            .1
            .contains("accept queue full"));
        assert!(!r.top_errors.is_empty());
        assert!(
            r.top_errors.windows(2).all(|w| w[0].1 >= w[1].1),
            "most frequent first"
        );
        let times: Vec<f64> = r.timeline.iter().map(|(t, _)| *t).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
        assert!(r
            .timeline
            .iter()
            .any(|(t, w)| *t == 60.0 && w == "Missing index starts"));
        assert!(r
            .timeline
            .iter()
            .any(|(t, w)| *t == 100.0 && w == "setting Pool size set to 50"));
        let md = r.to_markdown();
        assert!(md.starts_with("# Run report: Black Friday (seed 42)"));
        assert!(md.contains("**Objective missed.**"));
        assert!(md.contains("| GET /product/{id} |"));
        let html = r.to_html();
        assert!(
            html.contains("<h1>Run report: Black Friday (seed 42)</h1>")
                && html.contains("GET /product/{id}")
        );
    }
}
