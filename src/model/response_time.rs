//! First response times as the dashboard shows them: the display precision, the text, and
//! nearest-rank percentiles over a histogram.
//!
//! Response times are kept pre-aggregated at display precision (`response_rollups`, see the
//! migration that creates it): [`precision`] never moves a value across a shown digit, and a
//! nearest-rank percentile of rounded-down values is the rounded-down percentile of the exact
//! values (rounding down keeps their order), so the dashboard shows exactly what the exact
//! values would give, from a few hundred rows instead of every reply.

/// `secs` rounded down to what [`format_duration`] shows: whole seconds under a minute,
/// minutes under an hour, tenths of an hour under a day, tenths of a day under ten days,
/// whole days beyond. The store's `response_rollups` (`store/rollups.rs`) count at these steps.
pub fn precision(secs: i64) -> i64 {
    let step = match secs {
        s if s < 60 => 1,
        s if s < 3_600 => 60,
        s if s < 86_400 => 360,
        s if s < 864_000 => 8_640,
        _ => 86_400,
    };
    secs - secs.rem_euclid(step)
}

/// The same steps in SQL, for a column or expression `secs` (kept beside [`precision`];
/// `tests/integration/rollups.rs` checks SQLite computes the same values).
pub fn precision_sql(secs: &str) -> String {
    format!(
        "CASE WHEN {secs} < 60 THEN {secs} WHEN {secs} < 3600 THEN {secs} / 60 * 60 \
         WHEN {secs} < 86400 THEN {secs} / 360 * 360 WHEN {secs} < 864000 THEN {secs} / 8640 * 8640 \
         ELSE {secs} / 86400 * 86400 END"
    )
}

/// A duration as people say it: "45 s", "12 min", "3.5 h", "2.5 d", "12 d" (rounded down).
pub fn format_duration(secs: Option<i64>) -> String {
    match secs {
        None => "–".to_string(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3_600 => format!("{} min", s / 60),
        Some(s) if s < 86_400 => format!("{}.{} h", s / 3_600, s % 3_600 / 360),
        Some(s) if s < 864_000 => format!("{}.{} d", s / 86_400, s % 86_400 / 8_640),
        Some(s) => format!("{} d", s / 86_400),
    }
}

/// The value at nearest rank `ceil(p × n)` of an ascending list (p in 0..=1): the median of
/// 1, 2, 3, 4 is 2, its p90 is 4. Always a value that occurred, never an interpolation.
pub fn nearest_rank(sorted: &[i64], p: f64) -> Option<i64> {
    let index = nearest_rank_index(sorted.len() as i64, p)?;
    sorted.get(index as usize).copied()
}

/// [`nearest_rank`] of the list a histogram describes: `(value, count)` pairs, ascending.
pub fn nearest_rank_in(histogram: &[(i64, i64)], p: f64) -> Option<i64> {
    let total = histogram.iter().map(|(_, n)| n).sum();
    let index = nearest_rank_index(total, p)?;
    let mut seen = 0;
    histogram.iter().find_map(|&(value, n)| {
        seen += n;
        (seen > index).then_some(value)
    })
}

/// The 0-based index of [`nearest_rank`] in a list of `n` values.
fn nearest_rank_index(n: i64, p: f64) -> Option<i64> {
    (n > 0).then(|| ((p * n as f64).ceil() as i64).clamp(1, n) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::analytics::response_bucket;

    /// Every second up to two days, then a spread up to 90 days.
    fn samples() -> impl Iterator<Item = i64> {
        (0..172_800).chain((172_800..7_776_000).step_by(997))
    }

    #[test]
    fn nearest_rank_picks_values_that_occurred() {
        assert_eq!(nearest_rank(&[], 0.5), None);
        assert_eq!(nearest_rank(&[7], 0.9), Some(7));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 0.5), Some(2));
        assert_eq!(nearest_rank(&[1, 2, 3, 4], 0.9), Some(4));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 0.5), Some(5));
        assert_eq!(nearest_rank(&ten, 0.9), Some(9));
    }

    #[test]
    fn a_histogram_gives_the_percentiles_of_the_list_it_describes() {
        assert_eq!(nearest_rank_in(&[], 0.5), None);
        let list = [3, 3, 3, 8, 9, 9, 20, 20, 20, 20, 41];
        let histogram = [(3, 3), (8, 1), (9, 2), (20, 4), (41, 1)];
        for p in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0] {
            assert_eq!(
                nearest_rank_in(&histogram, p),
                nearest_rank(&list, p),
                "p{p}"
            );
        }
    }

    #[test]
    fn precision_never_changes_what_is_shown_or_which_bar_a_time_falls_in() {
        for s in samples() {
            let q = precision(s);
            assert!(q <= s && precision(q) == q, "{s}");
            assert_eq!(format_duration(Some(q)), format_duration(Some(s)), "{s}");
            assert_eq!(response_bucket(q), response_bucket(s), "{s}");
        }
    }

    #[test]
    fn percentiles_of_rounded_times_are_the_rounded_percentiles() {
        let exact: Vec<i64> = (0..500).map(|i| i * i * 37 % 900_000).collect();
        let mut sorted = exact.clone();
        sorted.sort();
        let mut rounded: Vec<i64> = exact.iter().map(|s| precision(*s)).collect();
        rounded.sort();
        for p in [0.5, 0.9] {
            assert_eq!(
                nearest_rank(&rounded, p),
                nearest_rank(&sorted, p).map(precision)
            );
        }
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(format_duration(None), "–");
        assert_eq!(format_duration(Some(45)), "45 s");
        assert_eq!(format_duration(Some(12 * 60 + 59)), "12 min");
        assert_eq!(format_duration(Some(3 * 3600 + 35 * 60)), "3.5 h");
        assert_eq!(format_duration(Some(86_399)), "23.9 h");
        assert_eq!(format_duration(Some(2 * 86_400 + 12 * 3600)), "2.5 d");
        assert_eq!(format_duration(Some(12 * 86_400 + 20 * 3600)), "12 d");
    }
}
