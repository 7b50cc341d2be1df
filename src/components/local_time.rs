//! Times in the viewer's own time zone. The server renders UTC; the browser swaps in local time
//! once it is running, so the page never shows a time zone the viewer is not in for long.
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use leptos::prelude::*;

/// How much of a time to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// "2:30 PM" today, "Mon" this week, "16 Nov" before.
    Compact,
    /// "16 Nov 2026, 2:30 PM".
    Full,
}

#[component]
pub fn LocalTime(
    at: DateTime<Utc>,
    #[prop(default = TimeStyle::Compact)] style: TimeStyle,
) -> impl IntoView {
    let text = RwSignal::new(format_time(at, Utc::now(), &Utc, style));
    Effect::new(move |_| {
        text.set(format_time(at, Utc::now(), &chrono::Local, style));
    });
    view! {
        <time datetime=at.to_rfc3339() title=format_time(at, at, &Utc, TimeStyle::Full) + " UTC">
            {move || text.get()}
        </time>
    }
}

/// [`LocalTime`]'s compact markup, appended to `html`, with the text in `tz` (for markup built as
/// text, see `inbox_row`): the server writes UTC, the browser its own zone, and
/// [`localize_times`] turns what the server wrote into the browser's zone once it runs.
pub fn push_time<Tz: chrono::TimeZone>(html: &mut String, at: DateTime<Utc>, tz: &Tz) {
    html.push_str("<time datetime=\"");
    html.push_str(&at.to_rfc3339());
    html.push_str("\" title=\"");
    write_time(html, at, at, &Utc, TimeStyle::Full);
    html.push_str(" UTC\">");
    write_time(html, at, Utc::now(), tz, TimeStyle::Compact);
    html.push_str("</time>");
}

/// Rewrites every `<time>` under `root` written by [`push_time`] in the browser's own zone.
#[cfg(feature = "hydrate")]
pub fn localize_times(root: &web_sys::Element) {
    let Ok(times) = root.query_selector_all("time[datetime]") else {
        return;
    };
    for i in 0..times.length() {
        let Some(node) = times.item(i) else { continue };
        let Some(at) = wasm_bindgen::JsCast::dyn_ref::<web_sys::Element>(&node)
            .and_then(|el| el.get_attribute("datetime"))
            .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
        else {
            continue;
        };
        let text = format_time(
            at.with_timezone(&Utc),
            Utc::now(),
            &chrono::Local,
            TimeStyle::Compact,
        );
        node.set_text_content(Some(&text));
    }
}

/// Formats `at` as seen in time zone `tz` at the moment `now`.
pub fn format_time<Tz: chrono::TimeZone>(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: &Tz,
    style: TimeStyle,
) -> String {
    let mut out = String::with_capacity(24);
    write_time(&mut out, at, now, tz, style);
    out
}

/// [`format_time`], appended to `out`. Written out by hand rather than through `strftime`
/// patterns, which chrono parses again on every call (the inbox writes two times per row).
fn write_time<Tz: chrono::TimeZone>(
    out: &mut String,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    tz: &Tz,
    style: TimeStyle,
) {
    let local = at.with_timezone(tz);
    let date = local.date_naive();
    match style {
        TimeStyle::Full => {
            push_date(out, date, true);
            out.push_str(", ");
            push_clock(out, local.time());
        }
        TimeStyle::Compact => {
            let today = now.with_timezone(tz).date_naive();
            let days = (today - date).num_days();
            if days == 0 {
                push_clock(out, local.time());
            } else if (1..7).contains(&days) {
                out.push_str(weekday(date));
            } else {
                push_date(out, date, date.year() != today.year());
            }
        }
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "Mon".
fn weekday(date: NaiveDate) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [date.weekday().num_days_from_monday() as usize]
}

/// "16 Nov", or "16 Nov 2026" `with_year`.
fn push_date(out: &mut String, date: NaiveDate, with_year: bool) {
    push_number(out, date.day());
    out.push(' ');
    out.push_str(MONTHS[date.month0() as usize]);
    if with_year {
        out.push(' ');
        if date.year() < 0 {
            out.push('-');
        }
        push_number(out, date.year().unsigned_abs());
    }
}

/// "2:30 PM".
fn push_clock(out: &mut String, time: NaiveTime) {
    let (pm, hour) = time.hour12();
    push_number(out, hour);
    out.push(':');
    if time.minute() < 10 {
        out.push('0');
    }
    push_number(out, time.minute());
    out.push_str(if pm { " PM" } else { " AM" });
}

fn push_number(out: &mut String, n: u32) {
    if n >= 10 {
        push_number(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// The label above a day's messages: "Today", "Yesterday", "Mon 16 Nov" (with the year when
/// it is not this year).
pub fn day_label(day: NaiveDate, today: NaiveDate) -> String {
    match (today - day).num_days() {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ => {
            let mut out = String::from(weekday(day));
            out.push(' ');
            push_date(&mut out, day, day.year() != today.year());
            out
        }
    }
}

/// `at`'s calendar day and clock time, in the viewer's zone once the browser runs (`local`),
/// in UTC before that (server render and hydration).
pub fn day_and_clock(at: DateTime<Utc>, local: bool) -> (NaiveDate, String) {
    let t = if local {
        at.with_timezone(&chrono::Local).naive_local()
    } else {
        at.naive_utc()
    };
    let mut clock = String::with_capacity(8);
    push_clock(&mut clock, t.time());
    (t.date(), clock)
}

/// Today's date in the same zone as [`day_and_clock`].
pub fn today(local: bool) -> NaiveDate {
    if local {
        chrono::Local::now().date_naive()
    } else {
        Utc::now().date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn compact_times_depend_on_how_long_ago() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 18, 0, 0).unwrap();
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
        assert_eq!(
            format_time(at(22, 14, 30), now, &Utc, TimeStyle::Compact),
            "2:30 PM"
        );
        assert_eq!(
            format_time(at(20, 9, 5), now, &Utc, TimeStyle::Compact),
            "Fri"
        );
        assert_eq!(
            format_time(at(2, 9, 5), now, &Utc, TimeStyle::Compact),
            "2 Nov"
        );
        assert_eq!(
            format_time(at(2, 9, 5), now, &Utc, TimeStyle::Full),
            "2 Nov 2026, 9:05 AM"
        );
    }

    #[test]
    fn clocks_and_dates_are_written_like_strftime_would() {
        let now = Utc.with_ymd_and_hms(2027, 1, 3, 18, 0, 0).unwrap();
        for (at, compact, full) in [
            ((2027, 1, 3, 0, 5), "12:05 AM", "3 Jan 2027, 12:05 AM"),
            ((2027, 1, 3, 12, 0), "12:00 PM", "3 Jan 2027, 12:00 PM"),
            ((2027, 1, 3, 23, 59), "11:59 PM", "3 Jan 2027, 11:59 PM"),
            ((2026, 12, 31, 9, 7), "Thu", "31 Dec 2026, 9:07 AM"),
            ((2026, 12, 27, 9, 7), "27 Dec 2026", "27 Dec 2026, 9:07 AM"),
        ] {
            let (y, mo, d, h, mi) = at;
            let at = Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap();
            assert_eq!(format_time(at, now, &Utc, TimeStyle::Compact), compact);
            assert_eq!(format_time(at, now, &Utc, TimeStyle::Full), full);
            // What strftime wrote before: the same text.
            let clock = at.format("%-I:%M %p").to_string();
            assert_eq!(full, format!("{}, {clock}", at.format("%-d %b %Y")));
        }
        let mut html = String::new();
        let at = Utc.with_ymd_and_hms(2026, 11, 16, 14, 30, 0).unwrap();
        push_time(&mut html, at, &Utc);
        assert!(
            html.starts_with(
                r#"<time datetime="2026-11-16T14:30:00+00:00" title="16 Nov 2026, 2:30 PM UTC">"#
            ),
            "{html}"
        );
    }

    #[test]
    fn local_time_zone_moves_the_day() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap();
        let tz = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
        // 01:00 UTC on the 22nd is 20:00 on the 21st in UTC-5, which is still "today" there.
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap();
        assert_eq!(format_time(at, now, &tz, TimeStyle::Compact), "8:00 PM");
    }
}

#[cfg(test)]
mod day_label_tests {
    use super::day_label;
    use chrono::NaiveDate;

    #[test]
    fn days_read_naturally() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(day_label(day(2026, 11, 22), today), "Today");
        assert_eq!(day_label(day(2026, 11, 21), today), "Yesterday");
        assert_eq!(day_label(day(2026, 11, 16), today), "Mon 16 Nov");
        assert_eq!(day_label(day(2025, 12, 31), today), "Wed 31 Dec 2025");
    }
}
