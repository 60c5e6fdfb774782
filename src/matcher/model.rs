//! One-vs-rest linear SVMs over the sparse features.
//!
//! Each class gets an L2-regularised, squared-hinge-loss SVM trained by dual coordinate descent
//! with shrinking (Hsieh et al., ICML 2008 — the method of liblinear's default solver). It
//! converges in a few passes over sparse data, has one parameter (C), and its decision values
//! are comparable across classes, which the out-of-scope threshold relies on.
//!
//! Weights are stored by feature, sparse (see [`LinearModel`]): scoring a query walks its
//! ~100 non-zero features and adds each one's few non-zero class weights.

use super::features::SparseVec;

/// Training parameters.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Inverse regularisation strength.
    pub c: f32,
    /// Upper bound on passes over the data for one class.
    pub max_passes: usize,
    /// Stop when the projected gradient's spread falls below this.
    pub tolerance: f32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            c: 3.0,
            max_passes: 60,
            tolerance: 0.1,
        }
    }
}

pub struct LinearModel {
    /// Per class, the bias.
    bias: Vec<f32>,
    /// Compressed rows, one per feature: the classes whose weight for it is not zero.
    /// Most are zero — a class's weights are a sum over its support vectors only — so this
    /// holds a fraction of a dense `features × classes` matrix (which grows quadratically as
    /// intents are added) and scoring touches only what counts.
    row_start: Vec<u32>,
    entries: Vec<(u32, f32)>,
}

impl LinearModel {
    /// Trains one SVM per class; `labels[i] < classes`. Classes are trained on all cores; the
    /// result does not depend on the number of threads.
    pub fn train(
        xs: &[SparseVec],
        labels: &[usize],
        classes: usize,
        features: usize,
        params: Params,
    ) -> Self {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(classes.max(1));
        let per_thread = classes.div_ceil(threads).max(1);
        let mut per_class: Vec<(f32, SparseVec)> = vec![(0.0, Vec::new()); classes];
        let sq_norms: Vec<f32> = xs
            .iter()
            .map(|x| x.iter().map(|(_, v)| v * v).sum::<f32>() + 1.0)
            .collect();
        std::thread::scope(|scope| {
            for (t, chunk) in per_class.chunks_mut(per_thread).enumerate() {
                let sq_norms = &sq_norms;
                scope.spawn(move || {
                    for (offset, slot) in chunk.iter_mut().enumerate() {
                        let class = t * per_thread + offset;
                        let w = train_binary(xs, labels, class, features, sq_norms, params);
                        let sparse = w[..features]
                            .iter()
                            .enumerate()
                            .filter(|&(_, &v)| v != 0.0)
                            .map(|(f, &v)| (f as u32, v))
                            .collect();
                        *slot = (w[features], sparse);
                    }
                });
            }
        });
        let mut counts = vec![0u32; features + 1];
        for (_, w) in &per_class {
            for &(f, _) in w {
                counts[f as usize + 1] += 1;
            }
        }
        for f in 0..features {
            counts[f + 1] += counts[f];
        }
        let row_start = counts;
        let mut fill = row_start.clone();
        let mut entries = vec![(0u32, 0.0f32); row_start[features] as usize];
        for (class, (_, w)) in per_class.iter().enumerate() {
            for &(f, v) in w {
                let slot = &mut fill[f as usize];
                entries[*slot as usize] = (class as u32, v);
                *slot += 1;
            }
        }
        let bias = per_class.iter().map(|(b, _)| *b).collect();
        LinearModel {
            bias,
            row_start,
            entries,
        }
    }

    /// Decision values of every class for `x`, into `out` (resized to the number of classes).
    pub fn decision(&self, x: &SparseVec, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.bias);
        for &(f, v) in x {
            let (start, end) = (
                self.row_start[f as usize] as usize,
                self.row_start[f as usize + 1] as usize,
            );
            for &(class, w) in &self.entries[start..end] {
                out[class as usize] += v * w;
            }
        }
    }

    /// Bytes held by the weights.
    pub fn memory_bytes(&self) -> usize {
        self.entries.len() * std::mem::size_of::<(u32, f32)>()
            + self.row_start.len() * std::mem::size_of::<u32>()
            + self.bias.len() * std::mem::size_of::<f32>()
    }
}

fn train_binary(
    xs: &[SparseVec],
    labels: &[usize],
    class: usize,
    features: usize,
    sq_norms: &[f32],
    params: Params,
) -> Vec<f32> {
    let n = xs.len();
    let diag = 0.5 / params.c;
    let bias = features;
    let mut w = vec![0.0f32; features + 1];
    let mut alpha = vec![0.0f32; n];
    let y: Vec<f32> = labels
        .iter()
        .map(|&l| if l == class { 1.0 } else { -1.0 })
        .collect();
    let mut active: Vec<usize> = (0..n).collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ class as u64);
    let mut pg_max_old = f32::INFINITY;
    for _ in 0..params.max_passes {
        rng.shuffle(&mut active);
        let (mut pg_max, mut pg_min) = (f32::NEG_INFINITY, f32::INFINITY);
        let mut i = 0;
        while i < active.len() {
            let idx = active[i];
            let x = &xs[idx];
            let margin = w[bias] + x.iter().map(|&(f, v)| w[f as usize] * v).sum::<f32>();
            let g = y[idx] * margin - 1.0 + diag * alpha[idx];
            let pg = if alpha[idx] == 0.0 {
                if g > pg_max_old {
                    // Shrinking: this example sits well outside the margin and is likely to
                    // stay there; drop it from the active set for this round.
                    active.swap_remove(i);
                    continue;
                }
                g.min(0.0)
            } else {
                g
            };
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[idx];
                alpha[idx] = (old - g / (sq_norms[idx] + diag)).max(0.0);
                let delta = (alpha[idx] - old) * y[idx];
                for &(f, v) in x {
                    w[f as usize] += delta * v;
                }
                w[bias] += delta;
            }
            i += 1;
        }
        if pg_max - pg_min <= params.tolerance {
            if active.len() == n {
                break;
            }
            // Converged on the shrunk set: check once more on everything.
            active = (0..n).collect();
            pg_max_old = f32::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f32::INFINITY } else { pg_max };
    }
    w
}

/// A small deterministic generator: training must give the same model on every run.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_two_linearly_separable_classes() {
        let xs: Vec<SparseVec> = vec![
            vec![(0, 1.0)],
            vec![(0, 0.9), (2, 0.1)],
            vec![(1, 1.0)],
            vec![(1, 0.8), (2, 0.2)],
        ];
        let labels = [0, 0, 1, 1];
        let model = LinearModel::train(&xs, &labels, 2, 3, Params::default());
        let mut out = Vec::new();
        model.decision(&vec![(0, 1.0)], &mut out);
        assert!(out[0] > 0.0 && out[1] < 0.0, "{out:?}");
        model.decision(&vec![(1, 1.0)], &mut out);
        assert!(out[1] > 0.0 && out[0] < 0.0, "{out:?}");
    }
}
