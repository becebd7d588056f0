//! The work model's figures computed before a run: the peak arrival rate, the expected
//! requests and the fault factors, from the rate profile and the faults' breakpoints, and the
//! problems of a run that would exceed [`crate::limits`].

use super::*;

/// What a run's arrival process asks of the engine, computed from its rate profile and faults
/// before it runs (the work model's figures).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkEstimate {
    /// The highest arrival rate, spikes included, in user requests per second.
    pub peak_rps: f64,
    /// When that rate is first reached.
    pub peak_at: SimTime,
    /// The traffic spike with the largest factor active at the peak (index into the faults).
    pub peak_spike: Option<usize>,
    /// User requests expected over the whole run (closed-loop users at most, as if every
    /// request ended at once).
    pub requests: f64,
    /// The most closed-loop users can send per second: each user's count over its mean think
    /// time, summed (as if every request ended at once); part of `peak_rps`.
    pub users_rps: f64,
    /// The first instant where faults of one kind multiply by more than
    /// [`limits::FAULT_MULTIPLIER_MAX`]: (kind, the fault with the largest factor, product, when).
    pub excess: Option<(FaultKind, usize, f64, SimTime)>,
}

/// The [`WorkEstimate`] of a rate profile with its faults over a run of `duration`. Every
/// figure is finite: multipliers are combined only while their product stays within limits.
pub fn work_estimate(
    rate: &[RateComponent],
    users: &[UserGroupConfig],
    duration: SimDuration,
    faults: &[FaultConfig],
) -> WorkEstimate {
    let mut w = open_loop_estimate(rate, duration, faults);
    let end = SimTime::ZERO + duration;
    for g in users.iter().filter(|g| g.think_mean > SimDuration::ZERO) {
        let think_s = g.think_mean.as_secs_f64();
        w.users_rps += g.count as f64 / think_s;
        let stay_s = end.since(g.start).as_secs_f64();
        let per_user = 1.0 + stay_s / think_s;
        let per_user = g
            .requests_per_user
            .map_or(per_user, |n| per_user.min(n as f64));
        w.requests += g.count as f64 * per_user;
    }
    w.peak_rps += w.users_rps;
    w
}

/// The [`WorkEstimate`] of the open-loop arrivals alone.
fn open_loop_estimate(
    rate: &[RateComponent],
    duration: SimDuration,
    faults: &[FaultConfig],
) -> WorkEstimate {
    let end = SimTime::ZERO + duration;
    let times: Vec<SimTime> = faults.iter().flat_map(|f| [f.start, f.end]).collect();
    let profile = crate::traffic::RateProfile::new(rate, &times);
    let mut w = WorkEstimate {
        peak_rps: 0.0,
        peak_at: SimTime::ZERO,
        peak_spike: None,
        requests: 0.0,
        users_rps: 0.0,
        excess: None,
    };
    let mut t = SimTime::ZERO;
    while t < end {
        let next = profile.next_breakpoint(t).unwrap_or(end).min(end);
        let mut spike = 1.0;
        for kind in [
            FaultKind::TrafficSpike,
            FaultKind::DbSlow,
            FaultKind::UpstreamSlow,
        ] {
            let mut product = 1.0f64;
            let mut largest = None::<(usize, f64)>;
            let active = faults
                .iter()
                .enumerate()
                .filter(|(_, f)| f.kind == kind && f.start <= t && t < f.end);
            for (i, f) in active {
                product *= f.multiplier;
                if largest.is_none_or(|(_, m)| f.multiplier >= m) {
                    largest = Some((i, f.multiplier));
                }
                if product > limits::FAULT_MULTIPLIER_MAX {
                    // Stop while the figure is finite (64 factors of 1e6 would overflow).
                    break;
                }
            }
            if product > limits::FAULT_MULTIPLIER_MAX {
                w.excess = Some((kind, largest.map_or(0, |(i, _)| i), product, t));
                return w;
            }
            if kind == FaultKind::TrafficSpike {
                spike = product;
                let bound = profile.bound_between(t, next) * product;
                if bound > w.peak_rps {
                    w.peak_rps = bound;
                    w.peak_at = t;
                    w.peak_spike = largest.map(|(i, _)| i);
                }
            }
        }
        let last = SimTime::from_micros(next.as_micros().saturating_sub(1).max(t.as_micros()));
        let mean_rps = (profile.rate_at(t) + profile.rate_at(last)) / 2.0 * spike;
        w.requests += mean_rps * next.since(t).as_secs_f64();
        t = next;
    }
    w
}

/// The work model's checks on a rate profile and its faults (each fault's path given): the
/// arrival rate never above [`limits::ARRIVAL_RPS_MAX`], at most
/// [`limits::REQUESTS_PER_RUN_MAX`] user requests expected over the run, and no kind of fault
/// multiplying anything by more than [`limits::FAULT_MULTIPLIER_MAX`] at once.
pub fn work_problems(
    rate: &[RateComponent],
    users: &[UserGroupConfig],
    duration: SimDuration,
    faults: &[FaultConfig],
    paths: &[String],
) -> Vec<Problem> {
    use crate::limits::{ARRIVAL_RPS_MAX, FAULT_MULTIPLIER_MAX, REQUESTS_PER_RUN_MAX};
    let w = work_estimate(rate, users, duration, faults);
    let problem = |path: String, message: String| vec![Problem { path, message }];
    if let Some((kind, i, product, at)) = w.excess {
        return problem(
            format!("{}.multiplier", paths[i]),
            format!(
                "{} faults active together at {} s multiply by {product:e}; at most \
                 {FAULT_MULTIPLIER_MAX:e} at once is supported",
                kind_name(kind),
                at.as_secs_f64()
            ),
        );
    }
    let open_loop_peak_rps = w.peak_rps - w.users_rps;
    if w.peak_rps > ARRIVAL_RPS_MAX && w.users_rps > 0.0 && open_loop_peak_rps <= ARRIVAL_RPS_MAX {
        return problem(
            "traffic.users".into(),
            format!(
                "the users can send up to {} requests/s (each group's count over its mean think \
                 time{}); at most {ARRIVAL_RPS_MAX} are supported (fewer users or longer think \
                 times)",
                round_figure(w.users_rps),
                if open_loop_peak_rps > 0.0 {
                    ", beside the open-loop rate"
                } else {
                    ""
                },
            ),
        );
    }
    if w.peak_rps > ARRIVAL_RPS_MAX {
        let (path, because) = match w.peak_spike {
            Some(i) => (
                format!("{}.multiplier", paths[i]),
                " with the traffic spikes active then",
            ),
            None => ("traffic.rate".to_string(), ""),
        };
        return problem(
            path,
            format!(
                "the arrival rate reaches {} requests/s at {} s{because}; at most \
                 {ARRIVAL_RPS_MAX} are supported",
                round_figure(w.peak_rps),
                w.peak_at.as_secs_f64(),
            ),
        );
    }
    if w.requests > REQUESTS_PER_RUN_MAX {
        return problem(
            "duration_s".into(),
            format!(
                "the run expects {} user requests over {} s; at most {REQUESTS_PER_RUN_MAX} are \
                 supported (shorten the run or lower the rate)",
                round_figure(w.requests),
                duration.as_secs_f64(),
            ),
        );
    }
    Vec::new()
}

impl Config {
    /// The work model's figures for this run (its faults, injected ones included).
    pub fn work(&self) -> WorkEstimate {
        work_estimate(&self.rate, &self.users, self.duration, &self.faults)
    }
}

/// A figure for a message: whole numbers as such, huge ones in scientific notation.
fn round_figure(x: f64) -> String {
    if x < 1e15 {
        format!("{}", libm::round(x))
    } else {
        format!("{x:e}")
    }
}
