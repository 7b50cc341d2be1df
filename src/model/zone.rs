//! The viewer's time zone, which decides where the dashboard's days begin. Browsers name their
//! zone (`America/New_York`); its midnights move with daylight saving, so a 30-day view that
//! crosses a change has one 23- or 25-hour day and every other day still starts at midnight.
//! A fixed offset in minutes (`-300`) is still understood, for API clients that send one.
//!
//! Only the server converts: the browser sends the name, so the zone database is not linked
//! into the WASM bundle.
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// An offset from UTC in minutes east (UTC+2 → 120), the same all year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TzOffset(pub i32);

impl TzOffset {
    /// Real offsets lie between UTC−12 and UTC+14, in whole quarter hours (UTC+5:45 is
    /// the finest there is): the dashboard's rollups are kept in 15-minute slots, so every
    /// local midnight and hour is a slot boundary.
    pub fn parse(raw: &str) -> Option<TzOffset> {
        let minutes: i32 = raw.trim().parse().ok()?;
        ((-12 * 60..=14 * 60).contains(&minutes) && minutes % 15 == 0).then_some(TzOffset(minutes))
    }

    pub fn seconds(self) -> i64 {
        i64::from(self.0) * 60
    }
}

/// Where the viewer's calendar days begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(TzOffset),
    /// An IANA zone; its rules (daylight saving, past changes of offset) place each midnight.
    Named(Tz),
}

impl Default for Zone {
    /// UTC: what a server render uses before the browser says where it is.
    fn default() -> Zone {
        Zone::Fixed(TzOffset(0))
    }
}

impl From<TzOffset> for Zone {
    fn from(offset: TzOffset) -> Zone {
        Zone::Fixed(offset)
    }
}

impl Zone {
    /// A zone from a query string: empty is UTC, a number is minutes east of UTC, anything
    /// else must be an IANA name as browsers report it (`Europe/Berlin`, `UTC`).
    pub fn parse(raw: &str) -> Option<Zone> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Some(Zone::default());
        }
        if raw.starts_with(['-', '+']) || raw.starts_with(|c: char| c.is_ascii_digit()) {
            return TzOffset::parse(raw).map(Zone::Fixed);
        }
        raw.parse::<Tz>().ok().map(Zone::Named)
    }

    /// The local calendar date at `t`.
    pub fn date_of(self, t: DateTime<Utc>) -> NaiveDate {
        match self {
            Zone::Fixed(offset) => (t + Duration::seconds(offset.seconds())).date_naive(),
            Zone::Named(tz) => t.with_timezone(&tz).date_naive(),
        }
    }

    /// When the local day `date` begins, in UTC: its midnight, the first of two where the
    /// clocks went back over it, or the end of the gap where they jumped over it.
    pub fn start_of(self, date: NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(NaiveTime::MIN);
        match self {
            Zone::Fixed(offset) => midnight.and_utc() - Duration::seconds(offset.seconds()),
            Zone::Named(tz) => {
                // Changes happen on quarter hours (the rollups' slot), within a few hours.
                (0..=4 * 24)
                    .map(|quarter| midnight + Duration::minutes(15 * quarter))
                    .find_map(|local| match tz.from_local_datetime(&local) {
                        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                            Some(t.with_timezone(&Utc))
                        }
                        LocalResult::None => None,
                    })
                    .unwrap_or_else(|| midnight.and_utc())
            }
        }
    }

    /// The start of the local day that contains `now`, `days_back` days earlier.
    pub fn day_start(self, now: DateTime<Utc>, days_back: i64) -> DateTime<Utc> {
        self.start_of(self.date_of(now) - Duration::days(days_back))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn zones_are_names_or_quarter_hour_offsets() {
        assert_eq!(Zone::parse(""), Some(Zone::Fixed(TzOffset(0))));
        assert_eq!(Zone::parse("-300"), Some(Zone::Fixed(TzOffset(-300))));
        assert_eq!(Zone::parse("+345"), Some(Zone::Fixed(TzOffset(345))));
        assert_eq!(
            Zone::parse(" America/New_York "),
            Some(Zone::Named(Tz::America__New_York))
        );
        assert_eq!(Zone::parse("UTC"), Some(Zone::Named(Tz::UTC)));
        // Browsers report some zones by ICU's older names (Chromium: Asia/Katmandu, Asia/Calcutta).
        for old in ["Asia/Katmandu", "Asia/Calcutta", "Asia/Saigon"] {
            assert!(matches!(Zone::parse(old), Some(Zone::Named(_))), "{old}");
        }
        for bad in [
            "7",
            "100000",
            "abc",
            "Mars/Olympus",
            "america/new_york",
            "Europe/",
        ] {
            assert_eq!(Zone::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_named_zones_midnight_follows_daylight_saving() {
        let ny = Zone::Named(Tz::America__New_York);
        // Summer time (UTC−4) until 1 Nov 2026, 02:00; standard time (UTC−5) after.
        assert_eq!(ny.start_of(date(2026, 10, 31)), utc(2026, 10, 31, 4, 0));
        assert_eq!(ny.start_of(date(2026, 11, 1)), utc(2026, 11, 1, 4, 0));
        assert_eq!(ny.start_of(date(2026, 11, 2)), utc(2026, 11, 2, 5, 0));
        // 23:30 local on 1 Nov is already 2 Nov in UTC.
        assert_eq!(ny.date_of(utc(2026, 11, 2, 4, 30)), date(2026, 11, 1));
        // A fixed offset puts one of the two sides wrong: 00:30 EDT on 20 Oct is 19 Oct at −5.
        let fixed = Zone::Fixed(TzOffset(-300));
        assert_eq!(ny.date_of(utc(2026, 10, 20, 4, 30)), date(2026, 10, 20));
        assert_eq!(fixed.date_of(utc(2026, 10, 20, 4, 30)), date(2026, 10, 19));
        // Thirty days back from 10 Nov begins on 12 Oct, in summer time.
        assert_eq!(
            ny.day_start(utc(2026, 11, 10, 15, 0), 29),
            utc(2026, 10, 12, 4, 0)
        );
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_begins_when_the_clocks_land() {
        // Chile starts summer time at 00:00 on the first Sunday of September: 6 Sep 2026 begins
        // at 01:00 local (UTC−3), which is 04:00 UTC.
        let santiago = Zone::Named(Tz::America__Santiago);
        assert_eq!(santiago.start_of(date(2026, 9, 6)), utc(2026, 9, 6, 4, 0));
        assert_eq!(santiago.start_of(date(2026, 9, 5)), utc(2026, 9, 5, 4, 0));
        assert_eq!(santiago.start_of(date(2026, 9, 7)), utc(2026, 9, 7, 3, 0));
    }

    #[test]
    fn fixed_offsets_keep_their_midnights() {
        let kathmandu = Zone::Fixed(TzOffset(345));
        assert_eq!(
            kathmandu.day_start(utc(2026, 12, 1, 20, 0), 0),
            utc(2026, 12, 1, 18, 15)
        );
        assert_eq!(
            kathmandu.day_start(utc(2026, 12, 1, 10, 0), 0),
            utc(2026, 11, 30, 18, 15)
        );
    }
}
