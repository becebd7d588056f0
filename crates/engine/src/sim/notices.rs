//! The notices a running simulation pushes (see [`crate::notice`]): the helpers the models call
//! where something changes, and draining them.

use super::*;
use crate::notice::Notice;

impl Simulation {
    /// Takes every notice pushed since the last drain, oldest first. Draining changes nothing
    /// in the run: the notices are a record of it.
    pub fn drain_notices(&mut self) -> Vec<Notice> {
        self.notices.drain()
    }

    /// Notices dropped because nobody drained them (the oldest go beyond
    /// [`crate::notice::NOTICES_MAX`]).
    pub fn notices_dropped(&self) -> u64 {
        self.notices.dropped()
    }

    /// Adds a log event; notes an incident if it opened one.
    pub(super) fn push_log(&mut self, event: LogEvent) {
        if let Some(first_error_seq) = self.logs.push(self.now, event) {
            let first_error = self.logs.get(first_error_seq).cloned().map(Box::new);
            self.notices.push(Notice::IncidentOpened {
                at: self.now,
                first_error_seq,
                first_error,
            });
        }
    }

    /// Notes that instance `i`'s breaker went from `from` to its state now, if it changed.
    pub(super) fn note_breaker(&mut self, i: usize, from: BreakerState) {
        let Some(to) = self.breakers.get(i).map(CircuitBreaker::state) else {
            return;
        };
        if from != to {
            self.notices.push(Notice::BreakerChanged {
                instance: i as u16,
                from,
                to,
                at: self.now,
            });
        }
    }

    /// Notes alert rules that fired (true) or resolved (false) now.
    pub(super) fn note_alerts(&mut self, changes: Vec<(AlertRule, bool)>) {
        for (rule, fired) in changes {
            let (severity, at) = (rule.severity(), self.now);
            self.notices.push(if fired {
                Notice::AlertFired { rule, severity, at }
            } else {
                Notice::AlertResolved { rule, severity, at }
            });
        }
    }

    /// Notes that fault `index` started (true) or ended (false) now.
    pub(super) fn note_fault(&mut self, index: usize, started: bool) {
        let (kind, at) = (self.cfg.faults[index].kind, self.now);
        self.notices.push(if started {
            Notice::FaultStarted { index, kind, at }
        } else {
            Notice::FaultEnded { index, kind, at }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load_scenario;

    /// Checkouts call a gateway that refuses connections from 20 s to 50 s, behind a breaker,
    /// and the errors page: every kind of notice but none beyond the run.
    const SCENARIO: &str = r#"{ "version": 1, "seed": 7, "duration_s": 120,
      "traffic": { "rate": [ { "kind": "constant", "rps": 200 } ],
        "endpoints": [ { "name": "POST /checkout", "weight": 1, "steps": [
          { "kind": "cpu", "duration": { "kind": "constant", "ms": 2 } },
          { "kind": "upstream_call" } ] } ] },
      "instances": { "count": 2 },
      "upstream": { "latency": { "kind": "constant", "ms": 20 },
        "breaker": { "preset": "resilience4j", "wait_in_open_ms": 5000 } },
      "faults": [ { "kind": "upstream_down_fast", "start_s": 20, "duration_s": 30 } ],
      "actions": [ { "kind": "restart_instance", "at_s": 60, "instance": 1 } ] }"#;

    fn sim() -> Simulation {
        let (_, config) = load_scenario(SCENARIO).expect("valid");
        Simulation::new(config)
    }

    /// Steps to the end, draining after every event; each notice with the clock when it came.
    fn run_draining(sim: &mut Simulation) -> Vec<(SimTime, Notice)> {
        let mut seen = vec![];
        while sim.step().is_some() {
            let now = sim.now();
            seen.extend(sim.drain_notices().into_iter().map(|n| (now, n)));
        }
        seen
    }

    fn at(n: &Notice) -> SimTime {
        match *n {
            Notice::AlertFired { at, .. }
            | Notice::AlertResolved { at, .. }
            | Notice::BreakerChanged { at, .. }
            | Notice::FaultStarted { at, .. }
            | Notice::FaultEnded { at, .. }
            | Notice::IncidentOpened { at, .. }
            | Notice::ActionTaken { at, .. }
            | Notice::RestartDone { at, .. } => at,
        }
    }

    #[test]
    fn a_restart_is_noticed_when_taken_and_when_the_instance_is_back() {
        let seen = run_draining(&mut sim());
        let restarts: Vec<(SimTime, bool)> = seen
            .iter()
            .filter_map(|(_, n)| match n {
                Notice::ActionTaken { at, summary, .. } => {
                    Some((*at, summary.starts_with("instance 1 stopped for a restart")))
                }
                Notice::RestartDone { instance: 1, at } => Some((*at, true)),
                _ => None,
            })
            .collect();
        let (taken, back) = (SimTime::from_secs(60), SimTime::from_secs(70));
        assert_eq!(restarts, [(taken, true), (back, true)]);
    }

    #[test]
    fn every_notice_comes_once_when_it_happens() {
        let mut s = sim();
        let seen = run_draining(&mut s);
        for (now, n) in &seen {
            assert_eq!(at(n), *now, "{n:?} drained at {now}");
        }
        let notices: Vec<&Notice> = seen.iter().map(|(_, n)| n).collect();
        let faults: Vec<&&Notice> = notices
            .iter()
            .filter(|n| matches!(n, Notice::FaultStarted { .. } | Notice::FaultEnded { .. }))
            .collect();
        let kind = FaultKind::UpstreamDownFast;
        let expected = [
            Notice::FaultStarted {
                index: 0,
                kind,
                at: SimTime::from_secs(20),
            },
            Notice::FaultEnded {
                index: 0,
                kind,
                at: SimTime::from_secs(50),
            },
        ];
        assert_eq!(faults.len(), 2, "{faults:?}");
        assert!(
            faults.iter().zip(&expected).all(|(a, b)| **a == b),
            "{faults:?}"
        );
        // Alerts: one notice per firing and per resolution in the history, at its second.
        let history = &s.alerts().history;
        assert!(!history.is_empty(), "the scenario pages");
        for a in history {
            let fired = notices.iter().filter(|n| {
                matches!(n, Notice::AlertFired { rule, at, .. }
                    if *rule == a.rule && *at == SimTime::from_secs(a.fired_s))
            });
            assert_eq!(fired.count(), 1, "{a:?}");
            let resolved = notices.iter().filter(|n| {
                matches!(n, Notice::AlertResolved { rule, at, .. }
                    if *rule == a.rule && Some(at.whole_secs()) == a.resolved_s)
            });
            assert_eq!(
                resolved.count(),
                usize::from(a.resolved_s.is_some()),
                "{a:?}"
            );
        }
        let alert_notices = notices
            .iter()
            .filter(|n| matches!(n, Notice::AlertFired { .. } | Notice::AlertResolved { .. }))
            .count();
        let resolutions = history.iter().filter(|a| a.resolved_s.is_some()).count();
        assert_eq!(alert_notices, history.len() + resolutions);
        // Incidents: one per incident start the log ring kept, naming its first error.
        let incidents: Vec<&Notice> = notices
            .iter()
            .copied()
            .filter(|n| matches!(n, Notice::IncidentOpened { .. }))
            .collect();
        let starts = s.logs().incident_starts();
        assert!(!starts.is_empty(), "the outage opens an incident");
        assert_eq!(incidents.len(), starts.len());
        for (n, first) in incidents.iter().zip(starts) {
            let Notice::IncidentOpened {
                first_error,
                first_error_seq,
                ..
            } = n
            else {
                unreachable!()
            };
            assert_eq!(*first_error_seq, first.seq);
            assert_eq!(first_error.as_deref(), Some(first));
        }
    }

    #[test]
    fn breaker_notices_match_the_states_a_poller_sees() {
        let mut s = sim();
        let n = s.config().instance_count;
        let mut polled = vec![BreakerState::Closed; n];
        let mut expected = vec![];
        let mut seen = vec![];
        while s.step().is_some() {
            for (i, last) in polled.iter_mut().enumerate() {
                let now = s.breaker_state(i).expect("a breaker");
                if now != *last {
                    expected.push((i as u16, *last, now, s.now()));
                    *last = now;
                }
            }
            for notice in s.drain_notices() {
                if let Notice::BreakerChanged {
                    instance,
                    from,
                    to,
                    at,
                } = notice
                {
                    seen.push((instance, from, to, at));
                }
            }
        }
        assert!(
            expected.iter().any(|e| e.2 == BreakerState::Open),
            "the breakers open: {expected:?}"
        );
        assert!(
            expected.iter().any(|e| e.2 == BreakerState::Closed),
            "and close again: {expected:?}"
        );
        assert_eq!(seen, expected);
    }

    #[test]
    fn draining_or_not_the_run_is_the_same() {
        let mut drained = sim();
        let notices = run_draining(&mut drained);
        assert!(!notices.is_empty());
        let mut undrained = sim();
        let summary = undrained.run_to_end();
        let json = |s: &crate::Summary| serde_json::to_string(s).expect("serialisable");
        assert_eq!(json(&drained.summary()), json(&summary));
        assert_eq!(
            serde_json::to_string(drained.seconds()).expect("rows"),
            serde_json::to_string(undrained.seconds()).expect("rows")
        );
        // Left undrained, the notices wait (bounded), none dropped in a run this short.
        assert_eq!(undrained.drain_notices().len(), notices.len());
        assert_eq!(undrained.notices_dropped(), 0);
    }
}
