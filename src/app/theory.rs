//! Queueing theory beside the run: when a scenario is exactly an M/M/c queue (Poisson arrivals
//! at a constant rate, one endpoint of one exponential cpu step, one instance of c threads, an
//! unbounded accept queue, no timeouts, retries or faults), what Erlang C predicts for it.

use outage_lab_engine::scenario::{Capacity, Dist, RateComponent, Step, Timeout};
use outage_lab_engine::Scenario;

/// Erlang C's prediction for an M/M/c queue.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MmcPrediction {
    /// Servers (worker threads).
    pub servers: u32,
    /// Arrivals per second.
    pub arrival_rps: f64,
    /// Mean service time, in milliseconds.
    pub service_ms: f64,
    /// Utilisation, arrivals times service time over servers (below 1).
    pub utilisation: f64,
    /// The probability that an arrival waits (Erlang C).
    pub p_wait: f64,
    /// The mean wait in the queue, in milliseconds.
    pub wait_ms: f64,
}

/// Erlang B for `c` servers and offered load `a`, by its recurrence.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// The prediction for `scenario` if it is exactly an M/M/c queue with utilisation below 1;
/// `None` otherwise.
pub fn mmc(s: &Scenario) -> Option<MmcPrediction> {
    let [RateComponent::Constant { rps }] = s.traffic.rate.as_slice() else {
        return None;
    };
    let [endpoint] = s.traffic.endpoints.as_slice() else {
        return None;
    };
    let [Step::Cpu {
        duration: Dist::Exponential { mean_ms },
    }] = endpoint.steps.as_slice()
    else {
        return None;
    };
    let plain = s.instances.count == 1
        && s.instances.accept_queue == Capacity::Unbounded
        && s.client.timeout_ms == Timeout::None
        && s.client.retry.is_none()
        && s.faults.is_empty()
        && s.actions.is_empty()
        && s.load_balancer.health_check.is_none();
    let c = s.instances.max_threads;
    let a = rps * mean_ms / 1000.0;
    let rho = a / f64::from(c);
    if !(plain && rho > 0.0 && rho < 1.0) {
        return None;
    }
    let b = erlang_b(c, a);
    let p_wait = b / (1.0 - rho + rho * b);
    let service_rate = 1000.0 / mean_ms;
    Some(MmcPrediction {
        servers: c,
        arrival_rps: *rps,
        service_ms: *mean_ms,
        utilisation: rho,
        p_wait,
        wait_ms: 1000.0 * p_wait / (f64::from(c) * service_rate - rps),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_m_m_8_gets_erlang_cs_figures_and_other_scenarios_none() {
        let mmc_scenario = crate::app::link::LinkState::from_preset("mmc")
            .expect("bundled")
            .scenario;
        let p = mmc(&mmc_scenario).expect("an M/M/c");
        assert_eq!(p.servers, 8);
        assert!((p.utilisation - 0.75).abs() < 1e-12);
        // Erlang C(8, 6) = 0.3570, Wq = C / (c mu - lambda) = 0.3570 / 200 s = 1.785 ms.
        assert!((p.p_wait - 0.35698).abs() < 1e-4, "{}", p.p_wait);
        assert!((p.wait_ms - 1.7849).abs() < 1e-3, "{}", p.wait_ms);
        let seed = crate::app::link::LinkState::from_preset("seed-incident")
            .expect("bundled")
            .scenario;
        assert_eq!(mmc(&seed), None);
        let mut saturated = mmc_scenario.clone();
        saturated.traffic.rate = vec![RateComponent::Constant { rps: 800.0 }];
        assert_eq!(mmc(&saturated), None, "utilisation 100 %: no steady state");
    }
}
