//! The dashboard's numbers: periods, the KPI set with its definitions, and the pure rules
//! (period windows in the viewer's time zone) both sides share.
use super::channel::Channel;
use super::error::AppError;
pub use super::zone::{TzOffset, Zone};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The dashboard's period selector: calendar days in the viewer's time zone, ending now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Period {
    #[serde(rename = "today")]
    Today,
    #[default]
    #[serde(rename = "7d")]
    Days7,
    #[serde(rename = "30d")]
    Days30,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Today, Period::Days7, Period::Days30];

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Today => "today",
            Period::Days7 => "7d",
            Period::Days30 => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Today => "Today",
            Period::Days7 => "7 days",
            Period::Days30 => "30 days",
        }
    }

    pub fn parse(raw: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == raw.trim())
    }

    /// Calendar days covered, today included.
    pub fn days(self) -> i64 {
        match self {
            Period::Today => 1,
            Period::Days7 => 7,
            Period::Days30 => 30,
        }
    }

    /// Where the period starts: the beginning of the local day `days - 1` days before today.
    pub fn start(self, now: DateTime<Utc>, tz: impl Into<Zone>) -> DateTime<Utc> {
        tz.into().day_start(now, self.days() - 1)
    }
}

/// What the dashboard asks for: a period, optionally one channel, in the viewer's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DashboardQuery {
    pub period: Period,
    pub channel: Option<Channel>,
    pub tz: Zone,
}

impl DashboardQuery {
    /// Parses the query string values (`period`, `channel`, `tz`); empty means the default.
    pub fn parse(period: &str, channel: &str, tz: &str) -> Result<DashboardQuery, AppError> {
        let period = match period.trim() {
            "" => Period::default(),
            p => Period::parse(p).ok_or_else(|| {
                AppError::validation("period", "Choose a period: today, 7d or 30d.")
            })?,
        };
        let channel = match channel.trim() {
            "" | "all" => None,
            c => Some(Channel::parse(c).ok_or_else(|| {
                AppError::validation(
                    "channel",
                    "Unknown channel: use email, sms, whatsapp, instagram or chat.",
                )
            })?),
        };
        let tz = Zone::parse(tz).ok_or_else(|| {
            AppError::validation(
                "tz",
                "Name a time zone (America/New_York), or give its offset in minutes east of UTC, \
                 -720 to 840, in steps of 15.",
            )
        })?;
        Ok(DashboardQuery {
            period,
            channel,
            tz,
        })
    }
}

/// The KPI cards. Message figures follow the channel filter; lead figures cover every channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Kpis {
    pub sent_today: i64,
    pub sent_7d: i64,
    pub sent_30d: i64,
    /// Everything below covers the selected period.
    pub sent: i64,
    pub replies_received: i64,
    /// Outreach turns started in the period, and how many of them the lead answered.
    pub outreach_turns: i64,
    pub replied_turns: i64,
    pub response_median_secs: Option<i64>,
    pub response_p90_secs: Option<i64>,
    pub responses: i64,
    /// Emails delivered in the period, and how many were opened (by a person / at all) and
    /// clicked by a person.
    pub emails_delivered: i64,
    pub emails_opened_human: i64,
    pub emails_opened_any: i64,
    pub emails_clicked: i64,
    /// Leads won in the period, of the leads in play during it.
    pub leads_won: i64,
    pub leads_in_play: i64,
    pub pipeline_value_cents: i64,
    pub won_value_cents: i64,
    pub active_conversations: i64,
}

impl Kpis {
    pub fn reply_rate(&self) -> Option<f64> {
        ratio(self.replied_turns, self.outreach_turns)
    }
    pub fn open_rate_human(&self) -> Option<f64> {
        ratio(self.emails_opened_human, self.emails_delivered)
    }
    pub fn open_rate_any(&self) -> Option<f64> {
        ratio(self.emails_opened_any, self.emails_delivered)
    }
    pub fn click_rate(&self) -> Option<f64> {
        ratio(self.emails_clicked, self.emails_delivered)
    }
    pub fn conversion_rate(&self) -> Option<f64> {
        ratio(self.leads_won, self.leads_in_play)
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// "42 %", or an en dash when there is nothing to divide by.
pub fn format_rate(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.0} %", r * 100.0),
        None => "–".to_string(),
    }
}

/// One KPI's name and the one-line definition shown on hover or tap (and in the README).
pub struct KpiDefinition {
    pub key: &'static str,
    pub label: &'static str,
    pub definition: &'static str,
}

pub const DEFINITIONS: &[KpiDefinition] = &[
    KpiDefinition {
        key: "sent",
        label: "Messages sent",
        definition: "Messages your team sent to leads: today, in the last 7 and 30 days (calendar days in your time zone).",
    },
    KpiDefinition {
        key: "replies",
        label: "Replies received",
        definition: "Messages leads sent you in the period.",
    },
    KpiDefinition {
        key: "reply_rate",
        label: "Reply rate",
        definition: "Outreach turns started in the period that the lead answered. A turn is one or more of your messages in a row; it is answered when the lead writes next.",
    },
    KpiDefinition {
        key: "first_response",
        label: "First response time",
        definition: "From a lead's message (the first of a run) to your team's next reply, for replies sent in the period: median and 90th percentile (nearest rank), shown rounded down.",
    },
    KpiDefinition {
        key: "open_rate",
        label: "Email open rate",
        definition: "Emails delivered in the period that a person opened, beside the raw rate that also counts mail privacy proxies.",
    },
    KpiDefinition {
        key: "click_rate",
        label: "Email click rate",
        definition: "Emails delivered in the period in which a person clicked a link (link scanners excluded).",
    },
    KpiDefinition {
        key: "conversion",
        label: "Lead conversion",
        definition: "Leads marked won in the period, of all leads in play during it (created before its end and not won or lost before its start). All channels.",
    },
    KpiDefinition {
        key: "pipeline",
        label: "Open pipeline",
        definition: "Deal value of every lead not yet won or lost, right now. All channels.",
    },
    KpiDefinition {
        key: "won_value",
        label: "Won value",
        definition: "Deal value of the leads marked won in the period. All channels.",
    },
    KpiDefinition {
        key: "active",
        label: "Active conversations",
        definition: "Leads with at least one message, sent or received, in the period.",
    },
];

/// The definition of KPI `key` (empty for an unknown key).
pub fn definition(key: &str) -> &'static str {
    DEFINITIONS
        .iter()
        .find(|d| d.key == key)
        .map_or("", |d| d.definition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_start_at_local_midnight() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap();
        assert_eq!(
            Period::Today.start(now, TzOffset(0)),
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        );
        // 01:30 UTC is still 20:30 on 30 November in New York (UTC−5).
        assert_eq!(
            Period::Today.start(now, TzOffset(-300)),
            Utc.with_ymd_and_hms(2026, 11, 30, 5, 0, 0).unwrap()
        );
        assert_eq!(
            Period::Days7.start(now, TzOffset(120)),
            Utc.with_ymd_and_hms(2026, 11, 24, 22, 0, 0).unwrap()
        );
    }

    #[test]
    fn bad_query_values_name_their_field() {
        assert!(matches!(
            DashboardQuery::parse("week", "", ""),
            Err(AppError::Validation { field, .. }) if field == "period"
        ));
        assert!(matches!(
            DashboardQuery::parse("7d", "fax", ""),
            Err(AppError::Validation { field, .. }) if field == "channel"
        ));
        for tz in ["9999", "7", "abc", "Mars/Olympus"] {
            assert!(matches!(
                DashboardQuery::parse("7d", "", tz),
                Err(AppError::Validation { field, .. }) if field == "tz"
            ));
        }
        assert_eq!(
            DashboardQuery::parse("", "", "345").unwrap().tz,
            Zone::Fixed(TzOffset(345))
        );
        assert_eq!(
            DashboardQuery::parse("", "", "Asia/Kathmandu").unwrap().tz,
            Zone::Named(chrono_tz::Tz::Asia__Kathmandu)
        );
        let q = DashboardQuery::parse("30d", "sms", "-300").unwrap();
        assert_eq!(q.period, Period::Days30);
        assert_eq!(q.channel, Some(Channel::Sms));
        assert_eq!(q.tz, Zone::Fixed(TzOffset(-300)));
        assert_eq!(
            DashboardQuery::parse("", "all", "").unwrap(),
            DashboardQuery::default()
        );
    }

    #[test]
    fn the_readme_lists_every_definition_as_the_cards_show_it() {
        let readme = include_str!("../../README.md");
        for d in DEFINITIONS {
            let row = format!("| {} | {} |", d.label, d.definition);
            assert!(readme.contains(&row), "README lacks: {row}");
        }
    }

    #[test]
    fn every_card_has_a_definition() {
        for key in [
            "sent",
            "replies",
            "reply_rate",
            "first_response",
            "open_rate",
            "click_rate",
            "conversion",
            "pipeline",
            "won_value",
            "active",
        ] {
            assert!(!definition(key).is_empty(), "{key}");
        }
    }
}
