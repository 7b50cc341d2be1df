//! The dashboard's charts, drawn as SVG by us (no chart library to download): stacked bars of
//! messages per bucket by channel, lines of opens and clicks, and the response-time histogram.
//! Each scales to its container (viewBox), names itself for screen readers, and gives every
//! bar or point a tooltip with its figures.
use crate::model::analytics::{Analytics, Bucket, RESPONSE_LABELS};
use crate::model::channel::Channel;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// A bucket's label in the viewer's zone once the browser runs: "14:00" for hours, "Mon 16".
fn bucket_label(start: DateTime<Utc>, bucket_secs: i64, local: bool) -> String {
    let format = if bucket_secs < 86_400 {
        "%H:%M"
    } else {
        "%a %-d"
    };
    if local {
        start
            .with_timezone(&chrono::Local)
            .format(format)
            .to_string()
    } else {
        start.format(format).to_string()
    }
}

/// A round upper bound for the y axis (1, 2, 5 × 10ⁿ).
pub fn nice_max(max: i64) -> i64 {
    let max = max.max(1);
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// Y gridlines with their labels.
fn axis(top: i64) -> impl IntoView {
    let plot = HEIGHT - BOTTOM - TOP;
    [0, top / 2, top]
        .into_iter()
        .map(|v| {
            let y = HEIGHT - BOTTOM - plot * v as f64 / top as f64;
            view! {
                <line class="grid" x1=LEFT x2=WIDTH y1=y y2=y/>
                <text class="axis" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{v}</text>
            }
        })
        .collect_view()
}

/// The SVG of one chart: its accessible name (also its tooltip title), the y axis up to
/// `top`, and `body` drawn over it.
fn frame(label: String, testid: &'static str, top: i64, body: impl IntoView) -> impl IntoView {
    let title = label.clone();
    view! {
        <svg class="chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label data-testid=testid>
            <title>{title}</title>
            {axis(top)}
            {body}
        </svg>
    }
}

/// The x labels, thinned so they never overlap (at most ~8).
fn x_labels(buckets: &[Bucket], bucket_secs: i64, local: bool) -> impl IntoView {
    let n = buckets.len().max(1);
    let slot = (WIDTH - LEFT) / n as f64;
    let every = n.div_ceil(8);
    buckets
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, b)| {
            let x = LEFT + slot * (i as f64 + 0.5);
            view! {
                <text class="axis" x=x y=HEIGHT - 6.0 text-anchor="middle">{bucket_label(b.start, bucket_secs, local)}</text>
            }
        })
        .collect_view()
}

/// Messages (sent and received) per bucket, stacked by channel.
#[component]
pub fn MessagesChart(data: Analytics, local: bool) -> impl IntoView {
    let top = nice_max(data.buckets.iter().map(Bucket::messages).max().unwrap_or(0));
    let n = data.buckets.len().max(1);
    let slot = (WIDTH - LEFT) / n as f64;
    let bar = (slot * 0.7).max(1.0);
    let plot = HEIGHT - BOTTOM - TOP;
    let total: i64 = data.buckets.iter().map(Bucket::messages).sum();
    let label = format!(
        "Messages per {} by channel: {total} in all",
        if data.bucket_secs < 86_400 {
            "hour"
        } else {
            "day"
        }
    );
    let bars = data
        .buckets
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
            let mut y = HEIGHT - BOTTOM;
            let when = bucket_label(b.start, data.bucket_secs, local);
            Channel::ALL
                .iter()
                .zip(b.by_channel)
                .filter(|(_, count)| *count > 0)
                .map(|(channel, count)| {
                    let h = plot * count as f64 / top as f64;
                    y -= h;
                    let tip = format!("{when}: {count} {}", channel.label());
                    view! {
                        <rect class=format!("seg ch-{}", channel.as_str()) x=x y=y width=bar height=h>
                            <title>{tip}</title>
                        </rect>
                    }
                })
                .collect_view()
        })
        .collect_view();
    view! {
        {frame(label, "chart-messages", top, (bars, x_labels(&data.buckets, data.bucket_secs, local)))}
        <ul class="legend" aria-hidden="true">
            {Channel::ALL.into_iter().map(|c| view! {
                <li><span class=format!("swatch ch-{}", c.as_str())></span>{c.label()}</li>
            }).collect_view()}
        </ul>
    }
}

/// One line of the engagement chart: CSS class, legend name, and the value it plots.
type Series = (&'static str, &'static str, fn(&Bucket) -> i64);

/// Human opens, proxy opens and clicks per bucket, as lines.
#[component]
pub fn EngagementChart(data: Analytics, local: bool) -> impl IntoView {
    let series: [Series; 3] = [
        ("opens", "Opened by a person", |b| b.opens_human),
        ("proxy", "Opened by a privacy proxy", |b| b.opens_proxy),
        ("clicks", "Clicked", |b| b.clicks),
    ];
    let top = nice_max(
        data.buckets
            .iter()
            .map(|b| b.opens_human.max(b.opens_proxy).max(b.clicks))
            .max()
            .unwrap_or(0),
    );
    let n = data.buckets.len().max(1);
    let slot = (WIDTH - LEFT) / n as f64;
    let plot = HEIGHT - BOTTOM - TOP;
    let point = |i: usize, v: i64| {
        (
            LEFT + slot * (i as f64 + 0.5),
            HEIGHT - BOTTOM - plot * v as f64 / top as f64,
        )
    };
    let summary = data.summary();
    let label = format!(
        "Email engagement: {} opens by people, {} clicks",
        summary.opens_human, summary.clicks
    );
    // A series with nothing in the whole period is not drawn: a line along zero reads as data.
    let empty = |value: &fn(&Bucket) -> i64| data.buckets.iter().all(|b| value(b) == 0);
    let lines = series
        .iter()
        .filter(|(_, _, value)| !empty(value))
        .map(|(class, name, value)| {
            let points: Vec<(f64, f64, i64, String)> = data
                .buckets
                .iter()
                .enumerate()
                .map(|(i, b)| {
                    let (x, y) = point(i, value(b));
                    (
                        x,
                        y,
                        value(b),
                        bucket_label(b.start, data.bucket_secs, local),
                    )
                })
                .collect();
            let path = points
                .iter()
                .map(|(x, y, _, _)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ");
            let dots = points
                .into_iter()
                .map(|(x, y, v, when)| {
                    view! {
                        <circle class=format!("dot {class}") cx=x cy=y r="3">
                            <title>{format!("{when}: {v} — {name}")}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <polyline class=format!("line {class}") points=path fill="none"/>
                {dots}
            }
        })
        .collect_view();
    view! {
        {frame(label, "chart-engagement", top, (lines, x_labels(&data.buckets, data.bucket_secs, local)))}
        <ul class="legend" aria-hidden="true">
            {series.iter().map(|(class, name, value)| {
                let none = if empty(value) { " (none)" } else { "" };
                view! { <li><span class=format!("swatch {class}")></span>{format!("{name}{none}")}</li> }
            }).collect_view()}
        </ul>
    }
}

/// How quickly the team answered: first responses per time band.
#[component]
pub fn ResponseChart(data: Analytics) -> impl IntoView {
    let top = nice_max(data.responses.iter().copied().max().unwrap_or(0));
    let n = data.responses.len();
    let slot = (WIDTH - LEFT) / n as f64;
    let bar = slot * 0.6;
    let plot = HEIGHT - BOTTOM - TOP;
    let total: i64 = data.responses.iter().sum();
    let label = format!("First response times: {total} replies");
    let bars = data
        .responses
        .iter()
        .zip(RESPONSE_LABELS)
        .enumerate()
        .map(|(i, (count, band))| {
            let h = plot * *count as f64 / top as f64;
            let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
            view! {
                <rect class="seg response" x=x y=HEIGHT - BOTTOM - h width=bar height=h>
                    <title>{format!("{band}: {count}")}</title>
                </rect>
                <text class="axis" x=LEFT + slot * (i as f64 + 0.5) y=HEIGHT - 6.0 text-anchor="middle">{band}</text>
            }
        })
        .collect_view();
    frame(label, "chart-responses", top, bars)
}

#[cfg(test)]
mod tests {
    use super::nice_max;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(3), 5);
        assert_eq!(nice_max(7), 10);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(420), 500);
    }
}
