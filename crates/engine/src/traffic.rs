//! The arrival process: a rate profile over time, sampled as a non-homogeneous Poisson process
//! by thinning, and Zipf-distributed cache keys.

use crate::rng::SimRng;
use crate::scenario::RateComponent;
use crate::time::{SimDuration, SimTime};

/// The arrival rate over time: additive components times active spikes.
#[derive(Clone, Debug)]
pub struct RateProfile {
    components: Vec<RateComponent>,
    /// Instants where the rate's slope or level may jump, sorted, in microseconds.
    breakpoints: Vec<u64>,
}

fn s_to_us(s: f64) -> u64 {
    SimDuration::from_millis_f64(s * 1000.0).as_micros()
}

impl RateProfile {
    /// A profile from validated components; `extra_breakpoints` are further instants where the
    /// rate may change (e.g. fault windows that multiply it).
    pub fn new(components: &[RateComponent], extra_breakpoints: &[SimTime]) -> Self {
        let mut breakpoints: Vec<u64> = extra_breakpoints.iter().map(|t| t.as_micros()).collect();
        for c in components {
            match *c {
                RateComponent::Constant { .. } => {}
                RateComponent::Step { at_s, .. } => breakpoints.push(s_to_us(at_s)),
                RateComponent::Ramp { start_s, end_s, .. } => {
                    breakpoints.push(s_to_us(start_s));
                    breakpoints.push(s_to_us(end_s));
                }
                RateComponent::Spike {
                    start_s,
                    duration_s,
                    ..
                } => {
                    breakpoints.push(s_to_us(start_s));
                    breakpoints.push(s_to_us(start_s + duration_s));
                }
            }
        }
        breakpoints.sort_unstable();
        breakpoints.dedup();
        RateProfile {
            components: components.to_vec(),
            breakpoints,
        }
    }

    /// Requests per second at `t` (never negative), before fault multipliers.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let us = t.as_micros();
        let mut additive = 0.0;
        let mut factor = 1.0;
        for c in &self.components {
            match *c {
                RateComponent::Constant { rps } => additive += rps,
                RateComponent::Step { at_s, rps } => {
                    if us >= s_to_us(at_s) {
                        additive += rps;
                    }
                }
                RateComponent::Ramp {
                    start_s,
                    end_s,
                    from_rps,
                    to_rps,
                } => {
                    let (a, b) = (s_to_us(start_s), s_to_us(end_s));
                    if us >= b {
                        additive += to_rps;
                    } else if us >= a {
                        let f = (us - a) as f64 / (b - a) as f64;
                        additive += from_rps + (to_rps - from_rps) * f;
                    }
                }
                RateComponent::Spike {
                    start_s,
                    duration_s,
                    multiplier,
                } => {
                    if us >= s_to_us(start_s) && us < s_to_us(start_s + duration_s) {
                        factor *= multiplier;
                    }
                }
            }
        }
        (additive.max(0.0)) * factor
    }

    /// The next breakpoint strictly after `t`, if any.
    pub fn next_breakpoint(&self, t: SimTime) -> Option<SimTime> {
        let us = t.as_micros();
        let i = self.breakpoints.partition_point(|&b| b <= us);
        self.breakpoints.get(i).map(|&b| SimTime::from_micros(b))
    }

    /// The largest rate on `[from, until)`: the rate is linear between breakpoints, so the
    /// larger of its two ends bounds it.
    pub fn bound_between(&self, from: SimTime, until: SimTime) -> f64 {
        let last = SimTime::from_micros(until.as_micros().saturating_sub(1).max(from.as_micros()));
        self.rate_at(from).max(self.rate_at(last))
    }
}

/// Zipf-distributed keys `0..n`, key 0 the most popular, drawn by inverting a cumulative table.
#[derive(Clone, Debug)]
pub struct ZipfKeys {
    cumulative: Vec<f64>,
}

impl ZipfKeys {
    /// `n` keys (n ≥ 1) with popularity proportional to `1 / (rank + 1)^exponent`.
    pub fn new(n: u32, exponent: f64) -> Self {
        let mut cumulative = Vec::with_capacity(n as usize);
        let mut total = 0.0;
        for rank in 0..n {
            total += 1.0 / libm::pow(rank as f64 + 1.0, exponent);
            cumulative.push(total);
        }
        for c in &mut cumulative {
            *c /= total;
        }
        ZipfKeys { cumulative }
    }

    /// Draws one key.
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        let u = rng.open01();
        let i = self.cumulative.partition_point(|&c| c < u);
        i.min(self.cumulative.len() - 1) as u32
    }

    /// The probability of key `rank`.
    pub fn probability(&self, rank: u32) -> f64 {
        let i = rank as usize;
        let below = if i == 0 { 0.0 } else { self.cumulative[i - 1] };
        self.cumulative[i] - below
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn components_add_and_spikes_multiply() {
        let p = RateProfile::new(
            &[
                RateComponent::Constant { rps: 100.0 },
                RateComponent::Step {
                    at_s: 10.0,
                    rps: 50.0,
                },
                RateComponent::Ramp {
                    start_s: 20.0,
                    end_s: 30.0,
                    from_rps: 0.0,
                    to_rps: 100.0,
                },
                RateComponent::Spike {
                    start_s: 40.0,
                    duration_s: 5.0,
                    multiplier: 3.0,
                },
            ],
            &[],
        );
        assert_eq!(p.rate_at(SimTime::from_secs(5)), 100.0);
        assert_eq!(p.rate_at(SimTime::from_secs(10)), 150.0);
        assert_eq!(p.rate_at(SimTime::from_secs(25)), 200.0);
        assert_eq!(p.rate_at(SimTime::from_secs(35)), 250.0);
        assert_eq!(p.rate_at(SimTime::from_secs(42)), 750.0);
        assert_eq!(p.rate_at(SimTime::from_secs(45)), 250.0);
        assert_eq!(
            p.next_breakpoint(SimTime::from_secs(20)),
            Some(SimTime::from_secs(30))
        );
        assert_eq!(p.next_breakpoint(SimTime::from_secs(45)), None);
    }

    #[test]
    fn negative_steps_never_make_a_negative_rate() {
        let p = RateProfile::new(
            &[
                RateComponent::Constant { rps: 10.0 },
                RateComponent::Step {
                    at_s: 1.0,
                    rps: -50.0,
                },
            ],
            &[],
        );
        assert_eq!(p.rate_at(SimTime::from_secs(2)), 0.0);
    }

    #[test]
    fn zipf_frequencies_match_their_probabilities() {
        let z = ZipfKeys::new(100, 1.0);
        let mut rng = SimRng::new(9, Stream::RequestMix);
        let n = 200_000;
        let mut counts = [0u32; 100];
        for _ in 0..n {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        for rank in [0u32, 1, 9, 99] {
            let expected = z.probability(rank) * n as f64;
            let got = counts[rank as usize] as f64;
            assert!(
                (got - expected).abs() < 5.0 * expected.sqrt() + 5.0,
                "rank {rank}: {got} vs {expected}"
            );
        }
    }
}
