//! The dashboard's charts as data: messages per bucket by channel, opens and clicks per bucket,
//! and the first-response distribution. Buckets are hours for "today", calendar days otherwise.
use super::channel::Channel;
use super::kpi::{DashboardQuery, Period};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One bar (or point) of the time charts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Where the bucket starts (UTC); the browser labels it in local time.
    pub start: DateTime<Utc>,
    /// Messages, sent and received, in the order of [`Channel::ALL`].
    pub by_channel: [i64; 5],
    pub opens_human: i64,
    pub opens_proxy: i64,
    pub clicks: i64,
}

impl Bucket {
    pub fn messages(&self) -> i64 {
        self.by_channel.iter().sum()
    }
}

/// Upper bounds (seconds) of the first-response histogram's bars; the last bar is open-ended.
pub const RESPONSE_BOUNDS: [i64; 5] = [5 * 60, 15 * 60, 3600, 4 * 3600, 24 * 3600];
pub const RESPONSE_LABELS: [&str; 6] = [
    "< 5 min",
    "5–15 min",
    "15–60 min",
    "1–4 h",
    "4–24 h",
    "> 24 h",
];

/// The histogram bar a response time falls in.
pub fn response_bucket(secs: i64) -> usize {
    RESPONSE_BOUNDS
        .iter()
        .position(|bound| secs < *bound)
        .unwrap_or(RESPONSE_BOUNDS.len())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analytics {
    pub period: Period,
    pub channel: Option<Channel>,
    /// Seconds per bucket: 3,600 for today, 86,400 otherwise.
    pub bucket_secs: i64,
    pub buckets: Vec<Bucket>,
    /// First responses per bar of [`RESPONSE_LABELS`].
    pub responses: [i64; 6],
}

/// The totals `analytics_updated` carries beside the chart data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsSummary {
    pub messages: i64,
    pub opens_human: i64,
    pub clicks: i64,
    pub responses: i64,
}

impl Analytics {
    /// Empty buckets covering `query`'s period up to `now`.
    pub fn empty(query: &DashboardQuery, now: DateTime<Utc>) -> Analytics {
        Analytics::over(query, &bucket_edges(query, now))
    }

    /// Empty buckets between `edges` (as [`bucket_edges`] gives them).
    pub fn over(query: &DashboardQuery, edges: &[DateTime<Utc>]) -> Analytics {
        let starts = &edges[..edges.len().saturating_sub(1)];
        let buckets = starts
            .iter()
            .map(|start| Bucket {
                start: *start,
                ..Bucket::default()
            })
            .collect();
        Analytics {
            period: query.period,
            channel: query.channel,
            bucket_secs: bucket_secs(query.period),
            buckets,
            responses: [0; 6],
        }
    }

    pub fn summary(&self) -> AnalyticsSummary {
        AnalyticsSummary {
            messages: self.buckets.iter().map(Bucket::messages).sum(),
            opens_human: self.buckets.iter().map(|b| b.opens_human).sum(),
            clicks: self.buckets.iter().map(|b| b.clicks).sum(),
            responses: self.responses.iter().sum(),
        }
    }

    /// True when nothing at all happened in the period (the charts show an empty state).
    pub fn is_empty(&self) -> bool {
        self.summary() == AnalyticsSummary::default()
    }
}

/// Where the buckets of `query`'s period begin, oldest first, and where the last one ends:
/// the viewer's hours since midnight for today, else the beginnings of their calendar days
/// (a day with a daylight-saving change lasts 23 or 25 hours).
pub fn bucket_edges(query: &DashboardQuery, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let start = query.period.start(now, query.tz);
    match query.period {
        Period::Today => {
            let hours = (now - start).num_hours().max(0) + 1;
            (0..=hours).map(|h| start + Duration::hours(h)).collect()
        }
        _ => {
            let first = query.tz.date_of(start);
            let days = (query.tz.date_of(now) - first).num_days().max(0) + 1;
            (0..=days)
                .map(|d| query.tz.start_of(first + Duration::days(d)))
                .collect()
        }
    }
}

/// The nominal length of a bucket, which tells the charts how to label them.
pub fn bucket_secs(period: Period) -> i64 {
    match period {
        Period::Today => 3600,
        _ => 86_400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kpi::{TzOffset, Zone};
    use chrono::TimeZone;

    #[test]
    fn responses_fall_in_the_right_bar() {
        assert_eq!(response_bucket(0), 0);
        assert_eq!(response_bucket(299), 0);
        assert_eq!(response_bucket(300), 1);
        assert_eq!(response_bucket(3599), 2);
        assert_eq!(response_bucket(86_399), 4);
        assert_eq!(response_bucket(86_400), 5);
    }

    #[test]
    fn buckets_cover_the_period_in_local_days_or_hours() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 15, 0).unwrap();
        let week = DashboardQuery {
            period: Period::Days7,
            channel: None,
            tz: TzOffset(60).into(),
        };
        let a = Analytics::empty(&week, now);
        assert_eq!(a.buckets.len(), 7);
        assert_eq!(
            a.buckets[0].start,
            Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap()
        );
        let today = DashboardQuery {
            period: Period::Today,
            ..week
        };
        // Local midnight was 23:00 UTC; 10:15 UTC is in the 12th hour since.
        assert_eq!(Analytics::empty(&today, now).buckets.len(), 12);
    }

    #[test]
    fn a_month_across_the_end_of_summer_time_has_one_long_day() {
        // New York, 10 Nov 2026: the 30 days began on 12 Oct (UTC−4); clocks went back on 1 Nov.
        let now = Utc.with_ymd_and_hms(2026, 11, 10, 15, 0, 0).unwrap();
        let month = DashboardQuery {
            period: Period::Days30,
            channel: None,
            tz: Zone::Named(chrono_tz::Tz::America__New_York),
        };
        let edges = bucket_edges(&month, now);
        assert_eq!(edges.len(), 31);
        let hours: Vec<i64> = edges
            .windows(2)
            .map(|w| (w[1] - w[0]).num_hours())
            .collect();
        let long_day = 20; // 1 November
        assert_eq!(hours[long_day], 25);
        assert!(hours
            .iter()
            .enumerate()
            .all(|(i, h)| i == long_day || *h == 24));
        assert_eq!(
            edges[0],
            Utc.with_ymd_and_hms(2026, 10, 12, 4, 0, 0).unwrap()
        );
        assert_eq!(
            edges[30],
            Utc.with_ymd_and_hms(2026, 11, 11, 5, 0, 0).unwrap()
        );
        // That Sunday itself, seen late in the evening, has 25 hours.
        let evening = Utc.with_ymd_and_hms(2026, 11, 2, 4, 30, 0).unwrap();
        let today = DashboardQuery {
            period: Period::Today,
            ..month
        };
        assert_eq!(Analytics::empty(&today, evening).buckets.len(), 25);
    }
}
