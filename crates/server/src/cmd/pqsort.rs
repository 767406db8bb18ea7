//! Redis's `pqsort`: the NetBSD quicksort (Bentley & McIlroy) that sorts
//! only the partitions meeting a window of positions.
//!
//! SORT with BY and LIMIT and the geo searches with COUNT use it, and it
//! is not stable: members that compare equal (two points at the same
//! distance) come out in the order this algorithm leaves them. Clients
//! see that order, so it is reproduced step for step, pivot choices and
//! the switch to insertion sort included. Full sorts use a stable sort,
//! as glibc's `qsort` (a merge sort) is stable.

use std::cmp::Ordering;

/// Sorts `v` enough that positions `lrange..=rrange` hold what a full
/// sort would put there, exactly as Redis's `pqsort` does.
pub fn pqsort<T>(
    v: &mut [T],
    lrange: usize,
    rrange: i64,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    let window = Window {
        first: lrange as i64 * WIDTH,
        last: (rrange + 1) * WIDTH - 1,
    };
    sort_part(v, 0, v.len(), window, cmp);
}

/// Redis compares byte addresses; positions are scaled by an element
/// width so that the same comparisons hold (an empty window included).
const WIDTH: i64 = 8;

#[derive(Clone, Copy)]
struct Window {
    first: i64,
    last: i64,
}

impl Window {
    /// Whether the partition of `n` elements at `start` must be sorted.
    fn meets(self, start: usize, n: usize) -> bool {
        let low = start as i64 * WIDTH;
        let high = (start + n) as i64 * WIDTH - 1;
        !((self.first < low && self.last < low) || (self.first > high && self.last > high))
    }
}

fn insertion<T>(v: &mut [T], a: usize, n: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn med3<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

fn swap_runs<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

fn sort_part<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    window: Window,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            insertion(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let mut swapped = false;
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let order = cmp(&v[pb], &v[a]);
                if order == Ordering::Greater {
                    break;
                }
                if order == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let order = cmp(&v[pc], &v[a]);
                if order == Ordering::Less {
                    break;
                }
                if order == Ordering::Equal {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            insertion(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_runs(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_runs(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && window.meets(a, r) {
            sort_part(v, a, r, window, cmp);
        }
        let r = pd - pc;
        if r <= 1 {
            return;
        }
        a = pn - r;
        n = r;
        if !window.meets(a, n) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_sorted() {
        let mut seed = 17u64;
        let mut v: Vec<u64> = (0..500)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                (seed >> 33) % 1000
            })
            .collect();
        let mut sorted = v.clone();
        sorted.sort();
        pqsort(&mut v, 100, 199, &mut |a, b| a.cmp(b));
        assert_eq!(v[100..200], sorted[100..200]);
        let mut all = v.clone();
        pqsort(&mut all, 0, 499, &mut |a, b| a.cmp(b));
        assert_eq!(all, sorted);
    }

    #[test]
    fn an_empty_window_or_slice_is_fine() {
        let mut v = vec![3, 1, 2];
        pqsort(&mut v, 2, 1, &mut |a: &i32, b: &i32| a.cmp(b));
        let mut empty: Vec<i32> = Vec::new();
        pqsort(&mut empty, 0, -1, &mut |a: &i32, b: &i32| a.cmp(b));
        assert!(empty.is_empty());
    }
}
