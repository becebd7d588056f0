//! Seeded randomness, split into independent streams.
//!
//! One seed drives a run. Each source of randomness draws from its own stream derived from
//! that seed, so changing one knob never reshuffles another source's draws (common random
//! numbers): two runs that differ only in, say, the pool size see the same arrivals, the same
//! endpoints and keys, and each request gets the same service times. All maths uses `libm`,
//! so native and wasm builds produce the same bits.

use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// The independent sources of randomness in a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Stream {
    /// Inter-arrival times and thinning of the arrival process.
    Arrivals = 1,
    /// Which endpoint and which cache key each user request asks for.
    RequestMix = 2,
    /// Per-attempt work: CPU times, query costs, upstream latencies and errors.
    Work = 3,
    /// Client retry jitter.
    Retries = 4,
    /// Fault timings and anything else the environment decides.
    Faults = 5,
    /// Closed-loop users: when each starts and how long it thinks.
    Users = 6,
}

/// SplitMix64's finaliser: a bijective scrambler used to derive sub-seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic random stream with the sampling helpers the model needs.
#[derive(Clone, Debug)]
pub struct SimRng {
    inner: Pcg64Mcg,
}

impl SimRng {
    /// The stream `stream` of the run seeded with `seed`.
    pub fn new(seed: u64, stream: Stream) -> Self {
        Self::derived(seed, &[stream as u64])
    }

    /// A stream derived from `seed` and a path of labels, e.g. (Work, request id, attempt).
    pub fn derived(seed: u64, labels: &[u64]) -> Self {
        let mut state = mix64(seed);
        for &label in labels {
            state = mix64(state ^ mix64(label));
        }
        SimRng {
            inner: Pcg64Mcg::seed_from_u64(state),
        }
    }

    /// A uniform draw in the open interval (0, 1): never exactly 0, so `ln` is always finite.
    pub fn open01(&mut self) -> f64 {
        let bits = self.inner.next_u64() >> 11; // 53 random bits
        (bits as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (n > 0), without modulo bias worth measuring (n < 2^32).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((self.inner.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.open01() < p
    }

    /// An exponential draw with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -libm::log(self.open01()) * mean
    }

    /// A standard normal draw (Box-Muller, one of the pair).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = self.open01();
        let u2 = self.open01();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_of_one_seed_differ_and_repeat() {
        let a1: Vec<u64> = (0..4)
            .map(|_| SimRng::new(7, Stream::Arrivals).below(1 << 40))
            .collect();
        let mut arrivals = SimRng::new(7, Stream::Arrivals);
        let mut work = SimRng::new(7, Stream::Work);
        let x: Vec<u64> = (0..4).map(|_| arrivals.below(1 << 40)).collect();
        let y: Vec<u64> = (0..4).map(|_| work.below(1 << 40)).collect();
        assert_ne!(x, y);
        assert_eq!(a1[0], x[0]);
    }

    #[test]
    fn exponential_mean_is_right() {
        let mut rng = SimRng::new(1, Stream::Work);
        let n = 200_000;
        let mean = (0..n).map(|_| rng.exponential(3.0)).sum::<f64>() / n as f64;
        assert!((mean - 3.0).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn open01_never_returns_the_bounds() {
        let mut rng = SimRng::new(3, Stream::Faults);
        for _ in 0..100_000 {
            let u = rng.open01();
            assert!(u > 0.0 && u < 1.0);
        }
    }
}
