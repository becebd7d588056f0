//! A log-linear latency histogram: exact below 128 µs, then 64 sub-buckets per power of two
//! (relative error under 1.6%), with exact count, sum and maximum.

/// Values below this are counted exactly.
const LINEAR_LIMIT: u64 = 128;
/// Sub-buckets per power of two above the linear range.
const SUB_BUCKETS: u64 = 64;
const BUCKETS: usize = (LINEAR_LIMIT + (64 - 7) * SUB_BUCKETS) as usize;

/// Counts of durations in microseconds.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum_us: u128,
    max_us: u64,
    /// Lowest and highest bucket touched since the last reset, to keep resets and scans short.
    touched: Option<(usize, usize)>,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(v: u64) -> usize {
    if v < LINEAR_LIMIT {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros() as u64; // >= 7
    let mantissa = (v >> (exp - 6)) & (SUB_BUCKETS - 1);
    (LINEAR_LIMIT + (exp - 7) * SUB_BUCKETS + mantissa) as usize
}

/// The middle of a bucket's range, as a representative value.
fn bucket_mid(b: usize) -> u64 {
    let b = b as u64;
    if b < LINEAR_LIMIT {
        return b;
    }
    let exp = (b - LINEAR_LIMIT) / SUB_BUCKETS + 7;
    let mantissa = (b - LINEAR_LIMIT) % SUB_BUCKETS;
    let width = 1u64 << (exp - 6);
    let low = (1u64 << exp) + mantissa * width;
    low + width / 2
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            count: 0,
            sum_us: 0,
            max_us: 0,
            touched: None,
        }
    }

    /// Counts one value.
    pub fn record(&mut self, value_us: u64) {
        let b = bucket_of(value_us);
        self.counts[b] += 1;
        self.count += 1;
        self.sum_us += value_us as u128;
        self.max_us = self.max_us.max(value_us);
        self.touched = Some(match self.touched {
            None => (b, b),
            Some((lo, hi)) => (lo.min(b), hi.max(b)),
        });
    }

    /// Empties it.
    pub fn reset(&mut self) {
        if let Some((lo, hi)) = self.touched.take() {
            self.counts[lo..=hi].fill(0);
        }
        self.count = 0;
        self.sum_us = 0;
        self.max_us = 0;
    }

    /// How many values were counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact mean, in microseconds (0 when empty).
    pub fn mean_us(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum_us as f64 / self.count as f64
        }
    }

    /// The exact maximum, in microseconds.
    pub fn max_us(&self) -> u64 {
        self.max_us
    }

    /// The `q` quantile (0 < q ≤ 1), in microseconds, within the bucket resolution; never above
    /// the maximum. 0 when empty.
    pub fn quantile_us(&self, q: f64) -> u64 {
        let Some((lo, hi)) = self.touched else {
            return 0;
        };
        let rank = libm::ceil(q * self.count as f64).max(1.0) as u64;
        let mut seen = 0;
        for b in lo..=hi {
            seen += self.counts[b];
            if seen >= rank {
                return bucket_mid(b).min(self.max_us);
            }
        }
        self.max_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotone_and_tight() {
        let mut last = 0;
        for v in [0u64, 1, 127, 128, 129, 1_000, 65_535, 1 << 40, u64::MAX] {
            let b = bucket_of(v);
            assert!(b >= last && b < BUCKETS);
            last = b;
            if (128..(1 << 60)).contains(&v) {
                let mid = bucket_mid(b) as f64;
                assert!((mid - v as f64).abs() / (v as f64) < 0.016, "{v} -> {mid}");
            }
        }
    }

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut h = Histogram::new();
        for v in 1..=10_000u64 {
            h.record(v * 100);
        }
        let p50 = h.quantile_us(0.5) as f64;
        let p99 = h.quantile_us(0.99) as f64;
        assert!((p50 - 500_000.0).abs() / 500_000.0 < 0.016, "{p50}");
        assert!((p99 - 990_000.0).abs() / 990_000.0 < 0.016, "{p99}");
        assert_eq!(h.max_us(), 1_000_000);
        assert_eq!(h.mean_us(), 500_050.0);
        h.reset();
        assert_eq!(h.count(), 0);
        assert_eq!(h.quantile_us(0.5), 0);
    }
}
