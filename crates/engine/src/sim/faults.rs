//! Faults: injecting them at run time, combining the active ones into their effects, and an
//! instance's crash.

use super::*;

/// How the upstream behaves right now, from the active faults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum UpstreamMode {
    Normal,
    DownFast,
    Hang,
    Unreachable,
}

/// The combined effect of the active faults.
#[derive(Clone, Copy, Debug)]
pub(super) struct FaultEffects {
    pub(super) db_cost_multiplier: f64,
    pub(super) traffic_multiplier: f64,
    pub(super) upstream_mode: UpstreamMode,
    pub(super) upstream_latency_multiplier: f64,
    pub(super) upstream_extra_error_rate: f64,
    pub(super) cache_down: bool,
    /// The share of requests that end in an unhandled exception (a code bug).
    pub(super) code_bug_rate: f64,
}

impl Default for FaultEffects {
    fn default() -> Self {
        FaultEffects {
            db_cost_multiplier: 1.0,
            traffic_multiplier: 1.0,
            upstream_mode: UpstreamMode::Normal,
            upstream_latency_multiplier: 1.0,
            upstream_extra_error_rate: 0.0,
            cache_down: false,
            code_bug_rate: 0.0,
        }
    }
}

impl Simulation {
    /// Injects a fault now (the UI's fault buttons). It is validated like a scenario's fault,
    /// its `start_s` ignored: it starts one microsecond from now (after everything already
    /// processed) and lasts `duration_s`, so the same fault written on the timeline at that
    /// start gives the same run, bit for bit. Returns when it starts.
    pub fn inject_fault(
        &mut self,
        fault: &crate::scenario::Fault,
    ) -> Result<SimTime, Vec<crate::Problem>> {
        self.inject_fault_at(fault, self.now + SimDuration::from_micros(1))
    }

    /// Like [`Simulation::inject_fault`], starting at `start`, which must be later than now
    /// (side B of an A/B pair, behind side A's clock, gets A's fault at A's start time).
    pub fn inject_fault_at(
        &mut self,
        fault: &crate::scenario::Fault,
        start: SimTime,
    ) -> Result<SimTime, Vec<crate::Problem>> {
        let f = self.check_fault_at(fault, start)?;
        let index = self.cfg.faults.len();
        self.cfg.faults.push(f);
        self.active_faults.push(false);
        self.schedule(f.start, Event::FaultStart(index));
        if f.end > f.start {
            self.schedule(f.end, Event::FaultEnd(index));
        }
        Ok(start)
    }

    /// What [`Simulation::inject_fault_at`] checks, without injecting: the fault as it would
    /// run, or every problem (its fields, its start, the work model with the faults there).
    pub fn check_fault_at(
        &self,
        fault: &crate::scenario::Fault,
        start: SimTime,
    ) -> Result<crate::config::FaultConfig, Vec<crate::Problem>> {
        if self.cfg.faults.len() >= crate::config::FAULTS_MAX {
            return Err(vec![crate::Problem {
                path: "faults".into(),
                message: format!(
                    "may have at most {} faults; this run has that many",
                    crate::config::FAULTS_MAX
                ),
            }]);
        }
        let at_zero = crate::scenario::Fault {
            start_s: 0.0,
            ..fault.clone()
        };
        let mut f = crate::config::validate_fault(&at_zero, self.cfg.instance_count as u32)?;
        let duration = f.end.since(f.start);
        if start <= self.now {
            return Err(vec![crate::Problem {
                path: "fault.start_s".into(),
                message: format!(
                    "is {} s; a fault injected now starts after {} s",
                    start.as_secs_f64(),
                    self.now.as_secs_f64()
                ),
            }]);
        }
        if start > self.end {
            return Err(vec![crate::Problem {
                path: "fault".into(),
                message: format!(
                    "the run ended at {} s; a fault can no longer start",
                    self.end.as_secs_f64()
                ),
            }]);
        }
        f.start = start;
        f.end = start + duration;
        let mut faults = self.cfg.faults.clone();
        faults.push(f);
        let mut paths: Vec<String> = (0..self.cfg.faults.len())
            .map(|i| format!("faults[{i}]"))
            .collect();
        paths.push("fault".into());
        let problems = crate::config::work_problems(
            &self.cfg.rate,
            &self.cfg.users,
            self.cfg.duration,
            &faults,
            &paths,
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(f)
    }

    pub(super) fn apply_faults(&mut self) {
        let mut e = FaultEffects::default();
        let n = self.instances.len();
        let (mut down, mut misconfigured, mut db_unreachable) =
            (vec![false; n], vec![false; n], vec![false; n]);
        for (f, _) in self
            .cfg
            .faults
            .iter()
            .zip(&self.active_faults)
            .filter(|(_, on)| **on)
        {
            match f.kind {
                FaultKind::DbSlow => e.db_cost_multiplier *= f.multiplier,
                FaultKind::TrafficSpike => e.traffic_multiplier *= f.multiplier,
                FaultKind::UpstreamSlow => e.upstream_latency_multiplier *= f.multiplier,
                FaultKind::UpstreamErrors => {
                    e.upstream_extra_error_rate =
                        1.0 - (1.0 - e.upstream_extra_error_rate) * (1.0 - f.error_rate)
                }
                FaultKind::UpstreamDownFast => e.upstream_mode = UpstreamMode::DownFast,
                FaultKind::UpstreamHang => e.upstream_mode = UpstreamMode::Hang,
                FaultKind::UpstreamUnreachable => e.upstream_mode = UpstreamMode::Unreachable,
                FaultKind::CacheDown => e.cache_down = true,
                FaultKind::InstanceCrash => down[f.instance] = true,
                FaultKind::BadDeploy if f.fail_fast => down[f.instance] = true,
                FaultKind::BadDeploy => misconfigured[f.instance] = true,
                FaultKind::InstanceDbUnreachable => db_unreachable[f.instance] = true,
                FaultKind::CodeBug => {
                    e.code_bug_rate = 1.0 - (1.0 - e.code_bug_rate) * (1.0 - f.error_rate)
                }
                FaultKind::CacheFlush => {}
            }
        }
        for i in 0..n {
            down[i] |= self.instances[i].restarting;
            if down[i] && !self.instances[i].down {
                let reason = "instance process exited: requests in progress are lost";
                self.crash_instance(i, reason.into());
            } else if !down[i] && self.instances[i].down {
                self.instances[i].down = false;
            }
            self.instances[i].misconfigured = misconfigured[i];
            self.instances[i].db_unreachable = db_unreachable[i];
        }
        let traffic_changed = e.traffic_multiplier != self.effects.traffic_multiplier;
        self.effects = e;
        if traffic_changed {
            // The arrival process is memoryless: restarting it from now is exact.
            self.arrival_generation += 1;
            self.arrival_cursor_us = self.now.as_micros() as f64;
            self.schedule_next_arrival();
        }
    }

    /// Instance `i` goes down (logging `reason`): every request on it is lost (the balancer
    /// answers 502), its queries are cancelled, its pools and queues empty, its breaker starts
    /// afresh when it restarts.
    pub(super) fn crash_instance(&mut self, i: usize, reason: String) {
        self.log(Level::Error, LogSource::Instance, Some(i as u16), reason);
        let victims: Vec<AttemptRef> = self
            .attempts
            .iter()
            .filter(|(_, att)| att.instance as usize == i && att.phase != Phase::Done)
            .map(|(slot, att)| AttemptRef {
                slot: slot as u32,
                id: att.id,
            })
            .collect();
        let mut orphaned_keys = Vec::new();
        for a in victims {
            let att = self.attempt_mut(a);
            if let Phase::Step {
                part: StepPart::Query { key, .. },
                ..
            } = att.phase
            {
                self.db.cancel(self.now, key);
            }
            let att = self.attempt_mut(a);
            if let Some(key) = att.loading_key.take() {
                orphaned_keys.push(key);
            }
            att.phase = Phase::Done;
            if att.outcome.is_none() {
                self.recorder.error(ErrorClass::InstanceCrashed);
                self.set_outcome(a, Status::BadGateway502, Status::BadGateway502);
            }
            self.release_if_done(a);
        }
        for key in orphaned_keys {
            for waiter in self.cache.load_failed(key) {
                if self.is_coalescing(waiter) {
                    self.fail(waiter, ErrorClass::InstanceCrashed);
                }
            }
        }
        let inst = &mut self.instances[i];
        inst.down = true;
        inst.threads_busy = 0;
        inst.accept_queue.clear();
        inst.pool.clear();
        inst.threads_draining = 0;
        if let Some((b, _)) = self.cfg.breaker {
            let from = self.breakers[i].state();
            self.breakers[i] = CircuitBreaker::new(b);
            self.note_breaker(i, from);
        }
        self.reschedule_db();
    }
}
