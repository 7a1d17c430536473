//! A synthetic chest film for the anatomy's and the reading views' tests.

use super::RELIEF_SIZE;

const N: usize = RELIEF_SIZE;

/// A frontal chest phantom: black air around a body of soft tissue, two
/// dark elliptic lung fields either side of a bright mediastinum, a few
/// bright horizontal ribs across the lungs, and `dense` (x, y, radius)
/// discs of consolidation.
pub fn phantom(dense: &[(f32, f32, f32)]) -> Vec<f32> {
    let inside = |x: f32, y: f32, cx: f32, cy: f32, rx: f32, ry: f32| {
        ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0
    };
    (0..N * N)
        .map(|i| {
            let (x, y) = ((i % N) as f32, (i / N) as f32);
            let mut v = 0.0;
            if inside(x, y, 112.0, 120.0, 95.0, 110.0) {
                v = 0.6;
            }
            let lung =
                inside(x, y, 70.0, 105.0, 30.0, 60.0) || inside(x, y, 154.0, 105.0, 30.0, 60.0);
            if lung {
                v = 0.15;
                if (y as usize / 4).is_multiple_of(4) {
                    v = 0.35; // a rib
                }
            }
            if lung && dense.iter().any(|&(cx, cy, r)| inside(x, y, cx, cy, r, r)) {
                v = 0.7;
            }
            if (100.0..124.0).contains(&x) && (40.0..190.0).contains(&y) {
                v = 0.9;
            }
            v
        })
        .collect()
}
