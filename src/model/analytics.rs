//! The dashboard's charts as data: messages per bucket by channel, opens and clicks per bucket,
//! and the first-response distribution. Buckets are hours for "today", calendar days otherwise.
use super::kpi::{DashboardQuery, Period};
use super::message::Channel;
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
        let start = query.period.start(now, query.tz);
        let bucket_secs = bucket_secs(query.period);
        let count = ((now - start).num_seconds() / bucket_secs + 1).max(1);
        let buckets = (0..count)
            .map(|i| Bucket {
                start: start + Duration::seconds(i * bucket_secs),
                ..Bucket::default()
            })
            .collect();
        Analytics {
            period: query.period,
            channel: query.channel,
            bucket_secs,
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

pub fn bucket_secs(period: Period) -> i64 {
    match period {
        Period::Today => 3600,
        _ => 86_400,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kpi::TzOffset;
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
            tz: TzOffset(60),
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
}
