//! A table of items with integer weights, sampled in O(log n) by binary search over cumulative weights.

use rand::Rng;

/// Items with integer weights; [`Weighted::pick`] returns each with probability weight / total.
#[derive(Debug, Clone)]
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    /// `cumulative[i]` = the sum of the weights of items `0..=i`.
    cumulative: Vec<u32>,
}

impl<T> Weighted<T> {
    /// A table from `(item, weight)` pairs; items of weight 0 are never picked.
    ///
    /// Panics if the weights add up to 0 (only ever built from the constant tables, which the tests exercise).
    pub(crate) fn new(pairs: impl IntoIterator<Item = (T, u32)>) -> Weighted<T> {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u32;
        for (item, weight) in pairs {
            total += weight;
            items.push(item);
            cumulative.push(total);
        }
        assert!(total > 0, "a weighted table needs a positive total weight");
        Weighted { items, cumulative }
    }

    /// Draws one item.
    pub(crate) fn pick<R: Rng>(&self, rng: &mut R) -> &T {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        &self.items[i]
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn picks_in_proportion_and_never_zero_weights() {
        let table = Weighted::new([("a", 1), ("never", 0), ("b", 3)]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0u32; 2];
        for _ in 0..40_000 {
            match *table.pick(&mut rng) {
                "a" => counts[0] += 1,
                "b" => counts[1] += 1,
                other => panic!("picked {other}"),
            }
        }
        let share_b = f64::from(counts[1]) / 40_000.0;
        assert!((share_b - 0.75).abs() < 0.01, "share of b = {share_b}");
    }
}
