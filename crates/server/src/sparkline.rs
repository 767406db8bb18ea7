//! `LATENCY GRAPH`'s ASCII art: Redis's sparkline renderer.
//!
//! Operators paste these graphs into bug reports and compare them with
//! what Redis drew, so the rendering is Redis's to the character: four
//! rows of `_o#` heads over `|` fill, 80 columns per block, each column
//! labelled below with how long ago its sample was taken (`12s`, `3m`).

use crate::slowlog::LatencyEvent;

const GRAPH_COLUMNS: usize = 80;
const GRAPH_ROWS: usize = 4;
const CHARSET_FILL: &[u8] = b"_o#";
/// Blank rows between the graph and the labels.
const LABEL_MARGIN_TOP: usize = 1;

struct Sample {
    value: f64,
    label: Vec<u8>,
}

/// The whole `LATENCY GRAPH` text for one event.
pub fn latency_graph(name: &str, event: &LatencyEvent, now_secs: i64) -> String {
    let mut samples = Vec::with_capacity(event.samples.len());
    let (mut min, mut max) = (u64::MAX, 0);
    for &(time, latency) in &event.samples {
        min = min.min(latency);
        max = max.max(latency);
        let elapsed = now_secs - time;
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        samples.push(Sample {
            value: latency as f64,
            label: label.into_bytes(),
        });
    }
    if samples.is_empty() {
        min = 0;
    }
    let mut out = format!(
        "{name} - high {max} ms, low {min} ms (all time high {} ms)\n",
        event.max_ms
    );
    out.push_str(&"-".repeat(GRAPH_COLUMNS));
    out.push('\n');
    let mut graph = Vec::new();
    for (block, chunk) in samples.chunks(GRAPH_COLUMNS).enumerate() {
        if block != 0 {
            graph.push(b'\n');
        }
        render_range(&mut graph, chunk, min as f64, max as f64);
    }
    out.push_str(&String::from_utf8_lossy(&graph));
    out
}

/// Redis's `sparklineRenderRange` with `SPARKLINE_FILL` and a linear
/// scale, over the sequence's overall min and max.
fn render_range(out: &mut Vec<u8>, samples: &[Sample], min: f64, max: f64) {
    let mut relmax = max - min;
    if relmax == 0.0 {
        relmax = 1.0;
    }
    let charset_len = CHARSET_FILL.len();
    let steps = (charset_len * GRAPH_ROWS) as i64;
    let has_labels = samples.iter().any(|s| !s.label.is_empty());
    let mut row = 0;
    let mut chars = vec![b' '; samples.len()];
    loop {
        let mut more = false;
        chars.fill(b' ');
        for (j, sample) in samples.iter().enumerate() {
            let relval = sample.value - min;
            // C: `(int)(relval*steps)/relmax`, then truncated to int.
            let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
            let step = step.clamp(0, steps - 1);
            if row < GRAPH_ROWS {
                more = true;
                let index = step - ((GRAPH_ROWS - row - 1) * charset_len) as i64;
                if (0..charset_len as i64).contains(&index) {
                    chars[j] = CHARSET_FILL[index as usize];
                } else if index >= charset_len as i64 {
                    chars[j] = b'|';
                }
            } else {
                if has_labels && row - GRAPH_ROWS < LABEL_MARGIN_TOP {
                    more = true;
                    break;
                }
                let label_char = row - GRAPH_ROWS - LABEL_MARGIN_TOP;
                if let Some(&c) = sample.label.get(label_char) {
                    more = true;
                    chars[j] = c;
                }
            }
        }
        if !more {
            break;
        }
        row += 1;
        out.extend_from_slice(&chars);
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_what_redis_draws() {
        // redis-server 7.0.15 after DEBUG SLEEP 0.05, 0.2 and 0.12, a
        // second or so apart, with latency-monitor-threshold 1.
        let event = LatencyEvent {
            samples: [(97, 50), (98, 200), (100, 120)].into_iter().collect(),
            max_ms: 200,
        };
        let graph = latency_graph("command", &event, 100);
        let expected = format!(
            "command - high 200 ms, low 50 ms (all time high 200 ms)\n{}\n # \n | \n |#\n_||\n   \n320\nsss\n",
            "-".repeat(80)
        );
        assert_eq!(graph, expected);
    }

    #[test]
    fn one_sample_and_old_labels() {
        let event = LatencyEvent {
            samples: [(0, 7)].into_iter().collect(),
            max_ms: 9,
        };
        let graph = latency_graph("fast-command", &event, 7200);
        assert!(graph.starts_with("fast-command - high 7 ms, low 7 ms (all time high 9 ms)\n"));
        assert!(graph.ends_with("\n \n \n \n_\n \n2\nh\n"));
    }
}
