//! Operator actions: what an on-call engineer does to the running service (restart one
//! instance or all of them in turn, cancel long-running queries), on the timeline or taken
//! live.

use super::*;
use crate::config::ActionConfig;
use crate::scenario::ActionKind;
use crate::settings::RESTART_BOOT_S;

impl Simulation {
    /// Takes an operator action now (the UI's operator buttons), validated like a scenario's
    /// action, its `at_s` ignored: it acts one microsecond from now, so the same action
    /// written on the timeline at that time gives the same run, bit for bit. Returns when.
    pub fn take_action(
        &mut self,
        action: &crate::scenario::OperatorAction,
    ) -> Result<SimTime, Vec<crate::Problem>> {
        self.take_action_at(action, self.now + SimDuration::from_micros(1))
    }

    /// Like [`Simulation::take_action`], at `at`, which must be later than now (side B of an
    /// A/B pair gets side A's action at A's time).
    pub fn take_action_at(
        &mut self,
        action: &crate::scenario::OperatorAction,
        at: SimTime,
    ) -> Result<SimTime, Vec<crate::Problem>> {
        let a = self.check_action_at(action, at)?;
        let index = self.cfg.actions.len();
        self.cfg.actions.push(a);
        self.schedule(a.at, Event::Action(index));
        Ok(at)
    }

    /// What [`Simulation::take_action_at`] checks, taking nothing: the action as it would run,
    /// or every problem (its fields, its time).
    pub fn check_action_at(
        &self,
        action: &crate::scenario::OperatorAction,
        at: SimTime,
    ) -> Result<ActionConfig, Vec<crate::Problem>> {
        let problem = |path: &str, message: String| {
            vec![crate::Problem {
                path: path.into(),
                message,
            }]
        };
        if self.cfg.actions.len() >= crate::settings::ACTIONS_MAX {
            let max = crate::settings::ACTIONS_MAX;
            return Err(problem(
                "actions",
                format!("may have at most {max} actions; this run has that many"),
            ));
        }
        let mut a = crate::config::validate_action(action, self.cfg.instance_count as u32)?;
        if at <= self.now {
            let (at_s, now_s) = (at.as_secs_f64(), self.now.as_secs_f64());
            let message = format!("is {at_s} s; an action taken now acts after {now_s} s");
            return Err(problem("action.at_s", message));
        }
        if at > self.end {
            let end_s = self.end.as_secs_f64();
            return Err(problem(
                "action",
                format!("the run ended at {end_s} s; nothing can be done any more"),
            ));
        }
        a.at = at;
        Ok(a)
    }

    /// Operator action `index` acts now.
    pub(super) fn act(&mut self, index: usize) {
        let action = self.cfg.actions[index];
        let summary = match action.kind {
            ActionKind::RestartInstance => self.restart(action.instance, "restart"),
            ActionKind::RollingRestart if self.rolling_next.is_some() => {
                "a rolling restart is already under way".to_string()
            }
            ActionKind::RollingRestart => {
                self.rolling_next = Some(0);
                self.restart_next_in_turn()
            }
            ActionKind::KillQueries => self.kill_queries(action.longer_than),
        };
        let message = format!("operator: {summary}");
        self.log(Level::Info, LogSource::Operator, None, message.clone());
        let (kind, at) = (action.kind, self.now);
        self.notices.push(crate::Notice::ActionTaken {
            index,
            kind,
            at,
            summary,
        });
    }

    /// Stops instance `i` for a restart; it starts again [`RESTART_BOOT_S`] seconds later.
    /// What happened, in words.
    fn restart(&mut self, i: usize, why: &str) -> String {
        let inst = &self.instances[i];
        if inst.restarting {
            return format!("instance {i} is already restarting");
        }
        if inst.down {
            return format!("instance {i} is down; it cannot be restarted before it is back");
        }
        let lost = self
            .attempts
            .iter()
            .filter(|(_, a)| a.instance as usize == i && a.routed && a.phase != Phase::Done)
            .count();
        let reason = format!("instance stopped for a {why}: requests in progress are lost");
        self.crash_instance(i, reason);
        self.instances[i].restarting = true;
        let back = self.now + SimDuration::from_secs(RESTART_BOOT_S);
        self.schedule(back, Event::RestartDone(i));
        format!(
            "instance {i} stopped for a {why} ({lost} requests in progress lost); \
             it starts again in {RESTART_BOOT_S} s"
        )
    }

    /// Restarts the next instance of a rolling restart, skipping those that are down.
    fn restart_next_in_turn(&mut self) -> String {
        while let Some(i) = self.rolling_next {
            if i >= self.instances.len() {
                self.rolling_next = None;
                return "rolling restart done: every instance restarted".into();
            }
            if !self.instances[i].down {
                return self.restart(i, "rolling restart");
            }
            self.rolling_next = Some(i + 1);
        }
        "no rolling restart under way".into()
    }

    /// Instance `i`'s restart is over: it takes traffic again (unless a fault holds it down);
    /// a rolling restart goes on with the next instance.
    pub(super) fn restart_done(&mut self, i: usize) {
        self.instances[i].restarting = false;
        self.apply_faults();
        let state = if self.instances[i].down {
            "a fault keeps it down"
        } else {
            "it takes requests again"
        };
        self.log(
            Level::Info,
            LogSource::Instance,
            Some(i as u16),
            format!("instance started after its restart: {state}"),
        );
        self.notices.push(crate::Notice::RestartDone {
            instance: i as u16,
            at: self.now,
        });
        if self.rolling_next == Some(i) {
            self.rolling_next = Some(i + 1);
            let summary = self.restart_next_in_turn();
            self.log(
                Level::Info,
                LogSource::Operator,
                None,
                format!("operator: {summary}"),
            );
        }
    }

    /// Cancels every request's query that has run longer than `longer_than` (background cache
    /// refreshes are not requests and run on); their requests fail with 500. In words.
    fn kill_queries(&mut self, longer_than: SimDuration) -> String {
        let now = self.now;
        let victims: Vec<AttemptRef> = self
            .attempts
            .iter()
            .filter_map(|(slot, att)| match att.phase {
                Phase::Step {
                    part: StepPart::Query { since, .. },
                    ..
                } if now.since(since) > longer_than => Some(AttemptRef {
                    slot: slot as u32,
                    id: att.id,
                }),
                _ => None,
            })
            .collect();
        for &a in &victims {
            let Some(&Attempt {
                phase:
                    Phase::Step {
                        part: StepPart::Query { key, .. },
                        ..
                    },
                instance,
                ..
            }) = self.get_attempt(a)
            else {
                continue;
            };
            self.db.cancel(now, key);
            self.reschedule_db();
            self.release_connection(instance as usize);
            self.fail(a, ErrorClass::QueryCanceled);
        }
        let secs = longer_than.as_secs_f64();
        format!(
            "cancelled {} queries running longer than {secs} s (pg_cancel_backend); \
             their requests fail with 500",
            victims.len()
        )
    }
}
