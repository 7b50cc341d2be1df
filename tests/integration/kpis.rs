//! KPI and chart queries against a fixture whose every figure was worked out by hand (see the
//! timeline below), for each period and with a channel filter; another workspace's rows are
//! never counted.
use crate::support::{on_test_db, store_database, ScratchDatabase, TestDb};
use chrono::{DateTime, TimeZone, Utc};
use leadwire::model::channel::Channel;
use leadwire::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use leadwire::model::kpi::{DashboardQuery, Period, TzOffset, Zone};
use leadwire::model::lead::Stage;
use leadwire::model::lead_input::LeadFields;
use leadwire::model::message::Direction;
use leadwire::server::store::messages::NewMessage;
use leadwire::server::store::workspaces::NewUser;
use leadwire::server::store::Store;

fn at(d: u32, m: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap()
}

/// "Now" for every query: 1 December 2026, 15:00 UTC. Today starts 1 Dec, 7 days on 25 Nov,
/// 30 days on 2 Nov (UTC midnights).
fn now() -> DateTime<Utc> {
    at(1, 12, 15, 0)
}

struct Fixture {
    store: Store,
    /// The store's database, on the backend of this run.
    pool: TestDb,
    _scratch: Option<ScratchDatabase>,
    a: WorkspaceId,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn lead(
        &self,
        ws: WorkspaceId,
        name: &str,
        stage: Stage,
        deal: i64,
        created: DateTime<Utc>,
    ) -> LeadId {
        let fields = LeadFields {
            name: name.into(),
            email: Some(format!("{}@example.com", name.to_lowercase())),
            phone: Some("+14155550100".into()),
            whatsapp: Some("+14155550100".into()),
            instagram: None,
            company: None,
            stage,
            deal_value_cents: Some(deal),
            owner_id: None,
        };
        self.store
            .insert_lead_at(ws, &fields, created)
            .await
            .unwrap()
            .id
    }

    async fn msg(
        &self,
        ws: WorkspaceId,
        lead: LeadId,
        direction: Direction,
        channel: Channel,
        status: &str,
        when: DateTime<Utc>,
    ) -> MessageId {
        self.store
            .insert_message(
                ws,
                &NewMessage {
                    lead_id: lead,
                    direction,
                    channel,
                    subject: None,
                    body: "hello",
                    status,
                    author_id: None::<UserId>,
                    created_at: when,
                },
            )
            .await
            .unwrap()
    }

    /// Runs `sql` with a time and a row id (the stamps the app's write paths would set).
    async fn sql(&self, sql: &str, time: Option<DateTime<Utc>>, id: uuid::Uuid) {
        on_test_db!(&self.pool, |p, q| sqlx::query(q(sql))
            .bind(time)
            .bind(id)
            .execute(p)
            .await
            .unwrap()
            .rows_affected());
    }
}

const OUT: Direction = Direction::Outbound;
const IN: Direction = Direction::Inbound;

/// The timeline (all UTC):
///   Ana (email, created 1 Oct, open, $1,000): m1 out 3 Nov 10:00 (delivered, opened 12:00 and
///     clicked 12:05 by a person); m2 in 11:00; m3 out 11:30 (delivered); m4 in 26 Nov 09:00;
///     m5 in 09:10; m6 out 10:00 (delivered, opened by a proxy only); m14 out 30 Nov (failed).
///   Ben (SMS, created 20 Nov, won 28 Nov, $5,000): m7 out 28 Nov 08:00; m8 out 08:05;
///     m9 in 1 Dec 08:00; m10 out 08:20.
///   Cy (WhatsApp, created 30 Nov, lost 1 Dec 10:00, $2,000): m11 in 1 Dec 09:00; m12 out 14:00.
///   Di (chat, created 1 Dec 09:00, qualified, $3,000): m13 in 09:30.
///   Ed (created 5 Oct, won 20 Oct, $7,000): no messages.
/// Workspace B has a lead with messages today; none of it may count for A.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (url, scratch) = store_database(dir.path(), "kpis.db").await;
    let store = Store::open(&url).await.unwrap();
    let pool = TestDb::connect(&url).await;
    let (a, _) = store
        .create_workspace_with_owner(
            "A",
            NewUser {
                name: "Owner A",
                email: "a@example.com",
                password_hash: "x",
            },
        )
        .await
        .unwrap();
    let (b, _) = store
        .create_workspace_with_owner(
            "B",
            NewUser {
                name: "Owner B",
                email: "b@example.com",
                password_hash: "x",
            },
        )
        .await
        .unwrap();
    let f = Fixture {
        store,
        pool,
        _scratch: scratch,
        a,
        _dir: dir,
    };
    let ana = f.lead(a, "Ana", Stage::New, 100_000, at(1, 10, 0, 0)).await;
    let ben = f
        .lead(a, "Ben", Stage::Won, 500_000, at(20, 11, 0, 0))
        .await;
    let cy = f
        .lead(a, "Cy", Stage::Lost, 200_000, at(30, 11, 0, 0))
        .await;
    let di = f
        .lead(a, "Di", Stage::Qualified, 300_000, at(1, 12, 9, 0))
        .await;
    let ed = f.lead(a, "Ed", Stage::Won, 700_000, at(5, 10, 0, 0)).await;
    let (e, s, w, c) = (
        Channel::Email,
        Channel::Sms,
        Channel::Whatsapp,
        Channel::Chat,
    );
    let m1 = f.msg(a, ana, OUT, e, "sent", at(3, 11, 10, 0)).await;
    f.msg(a, ana, IN, e, "received", at(3, 11, 11, 0)).await;
    f.msg(a, ana, OUT, e, "sent", at(3, 11, 11, 30)).await;
    f.msg(a, ana, IN, e, "received", at(26, 11, 9, 0)).await;
    f.msg(a, ana, IN, e, "received", at(26, 11, 9, 10)).await;
    let m6 = f.msg(a, ana, OUT, e, "sent", at(26, 11, 10, 0)).await;
    f.msg(a, ana, OUT, e, "failed", at(30, 11, 10, 0)).await;
    f.msg(a, ben, OUT, s, "sent", at(28, 11, 8, 0)).await;
    f.msg(a, ben, OUT, s, "sent", at(28, 11, 8, 5)).await;
    f.msg(a, ben, IN, s, "received", at(1, 12, 8, 0)).await;
    f.msg(a, ben, OUT, s, "sent", at(1, 12, 8, 20)).await;
    f.msg(a, cy, IN, w, "received", at(1, 12, 9, 0)).await;
    f.msg(a, cy, OUT, w, "sent", at(1, 12, 14, 0)).await;
    f.msg(a, di, IN, c, "received", at(1, 12, 9, 30)).await;
    // Receipts and stage times as the tracking and lead paths would have stamped them.
    let opened = "UPDATE messages SET opened_at = ? WHERE id = ?";
    f.sql(opened, Some(at(3, 11, 12, 0)), m1.0).await;
    f.sql(
        "UPDATE messages SET clicked_at = ? WHERE id = ?",
        Some(at(3, 11, 12, 5)),
        m1.0,
    )
    .await;
    f.sql(
        "UPDATE messages SET proxy_opened_at = ? WHERE id = ?",
        Some(at(26, 11, 10, 1)),
        m6.0,
    )
    .await;
    let stamp = "UPDATE leads SET won_at = ?1, closed_at = ?1 WHERE id = ?2";
    f.sql(stamp, Some(at(28, 11, 12, 0)), ben.0).await;
    f.sql(stamp, Some(at(20, 10, 12, 0)), ed.0).await;
    f.sql(
        "UPDATE leads SET closed_at = ? WHERE id = ?",
        Some(at(1, 12, 10, 0)),
        cy.0,
    )
    .await;
    // Workspace B: busy today, won today.
    let other = f.lead(b, "Zed", Stage::Won, 900_000, at(1, 12, 1, 0)).await;
    f.msg(b, other, OUT, s, "sent", at(1, 12, 2, 0)).await;
    f.msg(b, other, IN, s, "received", at(1, 12, 3, 0)).await;
    f.msg(b, other, OUT, s, "sent", at(1, 12, 3, 1)).await;
    f.sql(stamp, Some(at(1, 12, 4, 0)), other.0).await;
    f.store.recompute_turns(a).await.unwrap();
    f.store.recompute_turns(b).await.unwrap();
    f
}

fn query(period: Period, channel: Option<Channel>) -> DashboardQuery {
    DashboardQuery {
        period,
        channel,
        tz: TzOffset(0).into(),
    }
}

#[tokio::test]
async fn kpis_match_the_hand_computed_figures_for_every_period() {
    let f = fixture().await;
    let today = f
        .store
        .kpis(f.a, &query(Period::Today, None), now())
        .await
        .unwrap();
    let week = f
        .store
        .kpis(f.a, &query(Period::Days7, None), now())
        .await
        .unwrap();
    let month = f
        .store
        .kpis(f.a, &query(Period::Days30, None), now())
        .await
        .unwrap();
    for k in [&today, &week, &month] {
        assert_eq!((k.sent_today, k.sent_7d, k.sent_30d), (2, 6, 8));
        assert_eq!(k.pipeline_value_cents, 400_000, "Ana + Di are open");
    }
    assert_eq!((today.sent, week.sent, month.sent), (2, 6, 8));
    assert_eq!(
        (
            today.replies_received,
            week.replies_received,
            month.replies_received
        ),
        (3, 5, 6)
    );
    // Reply rate: turns opened in the period, and how many the lead answered.
    assert_eq!((today.outreach_turns, today.replied_turns), (2, 0));
    assert_eq!((week.outreach_turns, week.replied_turns), (4, 1));
    assert_eq!((month.outreach_turns, month.replied_turns), (6, 3));
    assert_eq!(week.reply_rate(), Some(0.25));
    assert_eq!(month.reply_rate(), Some(0.5));
    // First responses: 1,800 s (3 Nov), 3,600 s (26 Nov), 1,200 s and 18,000 s (1 Dec).
    assert_eq!(
        (
            today.response_median_secs,
            today.response_p90_secs,
            today.responses
        ),
        (Some(1200), Some(18000), 2)
    );
    assert_eq!(
        (
            week.response_median_secs,
            week.response_p90_secs,
            week.responses
        ),
        (Some(3600), Some(18000), 3)
    );
    assert_eq!(
        (
            month.response_median_secs,
            month.response_p90_secs,
            month.responses
        ),
        (Some(1800), Some(18000), 4)
    );
    // Email: delivered m1, m3, m6 (m14 failed); a person opened and clicked m1, a proxy m6.
    assert_eq!(today.emails_delivered, 0);
    assert_eq!(today.open_rate_human(), None);
    assert_eq!(
        (
            week.emails_delivered,
            week.emails_opened_human,
            week.emails_opened_any,
            week.emails_clicked
        ),
        (1, 0, 1, 0)
    );
    assert_eq!(
        (
            month.emails_delivered,
            month.emails_opened_human,
            month.emails_opened_any,
            month.emails_clicked
        ),
        (3, 1, 2, 1)
    );
    assert_eq!(month.open_rate_human(), Some(1.0 / 3.0));
    assert_eq!(month.open_rate_any(), Some(2.0 / 3.0));
    assert_eq!(month.click_rate(), Some(1.0 / 3.0));
    // Conversion: Ben won on 28 Nov; Ed was won before every period; Cy was lost today.
    assert_eq!((today.leads_won, today.leads_in_play), (0, 3));
    assert_eq!((week.leads_won, week.leads_in_play), (1, 4));
    assert_eq!((month.leads_won, month.leads_in_play), (1, 4));
    assert_eq!(week.conversion_rate(), Some(0.25));
    assert_eq!((today.won_value_cents, week.won_value_cents), (0, 500_000));
    assert_eq!(
        (
            today.active_conversations,
            week.active_conversations,
            month.active_conversations
        ),
        (3, 4, 4)
    );
}

#[tokio::test]
async fn the_channel_filter_narrows_message_figures_only() {
    let f = fixture().await;
    let sms = f
        .store
        .kpis(f.a, &query(Period::Days7, Some(Channel::Sms)), now())
        .await
        .unwrap();
    assert_eq!(
        (sms.sent_today, sms.sent_7d, sms.sent_30d, sms.sent),
        (1, 3, 3, 3)
    );
    assert_eq!(sms.replies_received, 1);
    assert_eq!((sms.outreach_turns, sms.replied_turns), (2, 1));
    assert_eq!((sms.response_median_secs, sms.responses), (Some(1200), 1));
    assert_eq!(
        sms.emails_delivered, 0,
        "email figures belong to the email channel"
    );
    assert_eq!(sms.active_conversations, 1);
    assert_eq!(
        (sms.leads_won, sms.leads_in_play),
        (1, 4),
        "lead figures cover every channel"
    );
    let email = f
        .store
        .kpis(f.a, &query(Period::Days30, Some(Channel::Email)), now())
        .await
        .unwrap();
    assert_eq!(
        (email.sent, email.emails_delivered, email.emails_clicked),
        (4, 3, 1)
    );
}

#[tokio::test]
async fn periods_follow_the_viewers_calendar_day() {
    let f = fixture().await;
    // In UTC−10 it is 05:00 on 1 Dec: "today" began at 10:00 UTC, after m9 and m10.
    let hawaii = DashboardQuery {
        period: Period::Today,
        channel: None,
        tz: TzOffset(-600).into(),
    };
    let k = f.store.kpis(f.a, &hawaii, now()).await.unwrap();
    assert_eq!(k.sent_today, 1, "only m12 (14:00 UTC)");
}

#[tokio::test]
async fn days_follow_the_viewers_zone_across_a_daylight_saving_change() {
    let f = fixture().await;
    // A workspace of its own: the fixture's later messages would count as "today" below.
    let (c, _) = f
        .store
        .create_workspace_with_owner(
            "C",
            NewUser {
                name: "Owner C",
                email: "c@example.com",
                password_hash: "x",
            },
        )
        .await
        .unwrap();
    // New York left summer time (UTC−4) at 02:00 on 1 November 2026 (UTC−5 after).
    let flo = f.lead(c, "Flo", Stage::New, 0, at(1, 10, 0, 0)).await;
    let sms = |when| f.msg(c, flo, OUT, Channel::Sms, "sent", when);
    sms(at(20, 10, 4, 30)).await; // 00:30 on 20 Oct, summer time
    sms(at(1, 11, 4, 30)).await; // 00:30 on 1 Nov, still summer time
    sms(at(2, 11, 4, 30)).await; // 23:30 on 1 Nov, standard time
    let ny = DashboardQuery {
        period: Period::Days30,
        channel: None,
        tz: Zone::Named(chrono_tz::Tz::America__New_York),
    };
    // Late on the 25-hour day itself, "today" began at its midnight, in summer time.
    let evening = at(2, 11, 4, 45);
    let today = DashboardQuery {
        period: Period::Today,
        ..ny
    };
    let k = f.store.kpis(c, &today, evening).await.unwrap();
    assert_eq!(k.sent_today, 2, "00:30 and 23:30 on 1 Nov");
    let hours = f.store.analytics(c, &today, evening).await.unwrap();
    assert_eq!(hours.buckets.len(), 25);
    assert_eq!(
        hours.buckets.iter().map(|b| b.by_channel[1]).sum::<i64>(),
        2
    );
    let k = f
        .store
        .kpis(
            c,
            &DashboardQuery {
                tz: TzOffset(-300).into(),
                ..today
            },
            evening,
        )
        .await
        .unwrap();
    assert_eq!(k.sent_today, 1, "a fixed UTC−5 day began at 05:00 UTC");
    // Then the first minutes of 2 November.
    sms(at(2, 11, 5, 30)).await; // 00:30 on 2 Nov
    let now = at(10, 11, 15, 0);
    let month = f.store.analytics(c, &ny, now).await.unwrap();
    // 12 Oct to 10 Nov, each day from its own midnight: 04:00 UTC before the change, 05:00 after.
    assert_eq!(month.buckets.len(), 30);
    assert_eq!(month.buckets[0].start, at(12, 10, 4, 0));
    assert_eq!(month.buckets[20].start, at(1, 11, 4, 0));
    assert_eq!(month.buckets[21].start, at(2, 11, 5, 0));
    let sms_per_day: Vec<(usize, i64)> = month
        .buckets
        .iter()
        .map(|b| b.by_channel[1])
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(sms_per_day, vec![(8, 1), (20, 2), (21, 1)]);
    // The offset New York has on 10 Nov, kept all month, puts the summer midnights an hour
    // late: the message of 00:30 on 20 Oct would count for 19 Oct.
    let fixed = DashboardQuery {
        tz: TzOffset(-300).into(),
        ..ny
    };
    let wrong = f.store.analytics(c, &fixed, now).await.unwrap();
    assert_eq!(wrong.buckets[7].by_channel[1], 1);
}

#[tokio::test]
async fn charts_bucket_messages_opens_and_responses_by_day() {
    let f = fixture().await;
    let a = f
        .store
        .analytics(f.a, &query(Period::Days7, None), now())
        .await
        .unwrap();
    assert_eq!(a.buckets.len(), 7);
    assert_eq!(a.buckets[0].start, at(25, 11, 0, 0));
    let counts: Vec<[i64; 5]> = a.buckets.iter().map(|b| b.by_channel).collect();
    // Channels in order: email, sms, whatsapp, instagram, chat.
    assert_eq!(
        counts,
        vec![
            [0, 0, 0, 0, 0],
            [3, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 2, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [1, 0, 0, 0, 0],
            [0, 2, 2, 0, 1],
        ]
    );
    let proxy: Vec<i64> = a.buckets.iter().map(|b| b.opens_proxy).collect();
    assert_eq!(proxy, vec![0, 1, 0, 0, 0, 0, 0]);
    assert!(a
        .buckets
        .iter()
        .all(|b| b.opens_human == 0 && b.clicks == 0));
    // 1,200 s → 15–60 min, 3,600 s → 1–4 h, 18,000 s → 4–24 h.
    assert_eq!(a.responses, [0, 0, 1, 1, 1, 0]);
    let month = f
        .store
        .analytics(f.a, &query(Period::Days30, None), now())
        .await
        .unwrap();
    assert_eq!(month.buckets.len(), 30);
    assert_eq!(month.summary().opens_human, 1);
    assert_eq!(month.summary().clicks, 1);
    assert_eq!(
        month.summary().messages,
        14,
        "every message of A, none of B"
    );
    let today = f
        .store
        .analytics(f.a, &query(Period::Today, None), now())
        .await
        .unwrap();
    assert_eq!(today.buckets.len(), 16, "hours 00:00 to 15:00");
    assert_eq!(
        today.buckets[8].by_channel,
        [0, 2, 0, 0, 0],
        "m9 and m10 at 08:xx"
    );
}

/// The facts a send writes (one row, from the message before it) are exactly what the full
/// recompute derives from the whole thread.
#[tokio::test]
async fn recording_messages_derives_the_same_facts_as_a_full_recompute() {
    use leadwire::model::message::{CollisionGuard, MessageFields};
    use leadwire::server::store::messages::Recorded;
    let f = fixture().await;
    let lead = f.lead(f.a, "Flo", Stage::New, 0, at(1, 11, 0, 0)).await;
    let pattern = [OUT, OUT, IN, OUT, IN, IN, OUT, IN, OUT, OUT];
    for direction in pattern {
        let fields = MessageFields {
            direction,
            channel: Channel::Sms,
            subject: None,
            body: "step".into(),
            client_id: uuid::Uuid::new_v4(),
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        let recorded = f
            .store
            .record_message(f.a, lead, None, &fields, None)
            .await
            .unwrap();
        assert!(matches!(recorded, Recorded::Created(_)));
        // Distinct milliseconds: the thread's order is the order of the sends.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let facts = || async {
        on_test_db!(&f.pool, |p, q| {
            sqlx::query_as::<
            _,
            (bool, Option<DateTime<Utc>>, Option<i64>),
        >(q(
            "SELECT opens_turn, replied_at, response_secs FROM messages WHERE lead_id = ? ORDER BY created_at, id"
        ))
        .bind(lead.0)
        .fetch_all(p)
        .await
        .unwrap()
        })
    };
    let incremental = facts().await;
    let turns: Vec<i64> = incremental.iter().map(|(t, _, _)| i64::from(*t)).collect();
    assert_eq!(turns, [1, 0, 0, 1, 0, 0, 1, 0, 1, 0]);
    let replied: Vec<bool> = incremental.iter().map(|(_, r, _)| r.is_some()).collect();
    assert_eq!(
        replied,
        [true, false, false, true, false, false, true, false, false, false]
    );
    assert!(incremental[3].2.is_some() && incremental[6].2.is_some() && incremental[8].2.is_some());
    assert!(
        incremental[0].2.is_none(),
        "the first message answers nothing"
    );
    f.store.recompute_turns(f.a).await.unwrap();
    assert_eq!(facts().await, incremental);
}
