//! `/dashboard`: KPIs, charts and the activity feed, live. The period and channel live in the
//! URL (`?period=30d&channel=email`); days are the viewer's calendar days.
use crate::api::dashboard::{get_analytics, get_kpis};
use crate::client::realtime::{show_dashboard, use_realtime};
use crate::components::activity_feed::ActivityFeed;
use crate::components::charts::{EngagementChart, MessagesChart, ResponseChart};
use crate::components::kpi_card::{KpiCard, KpiDefinitionsShown};
use crate::components::status::{EmptyState, ErrorNotice, Loading};
use crate::model::channel::Channel;
use crate::model::kpi::{format_rate, Kpis, Period};
use crate::model::money::{currency_of, format_money};
use crate::model::response_time::format_duration;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The viewer's time zone as the dashboard asks for it: the browser's IANA name
/// (`Europe/Berlin`), so days follow its daylight-saving rules, or its current offset in
/// minutes east where the browser names none. Empty (UTC) on the server.
fn browser_time_zone() -> String {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string())
            .filter(|zone| !zone.is_empty())
            .unwrap_or_else(|| (-(js_sys::Date::new_0().get_timezone_offset() as i32)).to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

fn href(period: &str, channel: &str) -> String {
    let mut q = vec![format!("period={period}")];
    if !channel.is_empty() {
        q.push(format!("channel={channel}"));
    }
    format!("/dashboard?{}", q.join("&"))
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    KpiDefinitionsShown::provide();
    let params = use_query_map();
    let period = Memo::new(move |_| {
        params.with(|p| {
            p.get("period")
                .and_then(|v| Period::parse(&v))
                .unwrap_or_default()
        })
    });
    let channel = Memo::new(move |_| {
        params.with(|p| {
            p.get("channel")
                .and_then(|v| Channel::parse(&v))
                .map(|c| c.as_str().to_string())
                .unwrap_or_default()
        })
    });
    // Server render and hydration use UTC days; the browser then asks for its own.
    let tz = RwSignal::new(String::new());
    let local = RwSignal::new(false);
    Effect::new(move |_| {
        tz.set(browser_time_zone());
        local.set(true);
    });
    let realtime = use_realtime();
    // Only a tab that shows the dashboard gets its live events.
    Effect::new(move |_| show_dashboard(true));
    on_cleanup(|| show_dashboard(false));
    let version = move || realtime.map(|r| r.stats_version.get()).unwrap_or(0);
    let source = move || {
        (
            period.get().as_str().to_string(),
            channel.get(),
            tz.get(),
            version(),
        )
    };
    let kpis = Resource::new(source, |(p, c, tz, _)| get_kpis(p, c, tz));
    let charts = Resource::new(source, |(p, c, tz, _)| get_analytics(p, c, tz));
    // The workspace's currency, for the money cards.
    let me = Resource::new(
        move || realtime.map(|r| r.workspace_version.get()),
        |_| crate::api::auth::get_current_user(),
    );
    let navigate = use_navigate();
    let on_channel = move |ev| {
        navigate(
            &href(period.get_untracked().as_str(), &event_target_value(&ev)),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };

    view! {
        <Title text="Dashboard"/>
        <div class="page-head dash-head">
            <h1>"Dashboard"</h1>
            <div class="dash-controls">
                <nav class="segmented" aria-label="Period">
                    // Plain links (the router still handles them): `A` would mark all three
                    // current, since they share the path.
                    {Period::ALL.into_iter().map(|p| view! {
                        <a
                            href=move || href(p.as_str(), &channel.get())
                            class=move || if period.get() == p { "seg-btn active" } else { "seg-btn" }
                            aria-current=move || (period.get() == p).then_some("true")
                            data-period=p.as_str()
                        >{p.label()}</a>
                    }).collect_view()}
                </nav>
                <label class="inline-field">
                    <span>"Channel"</span>
                    <select on:change=on_channel prop:value=move || channel.get() aria-label="Channel">
                        <option value="">"All channels"</option>
                        {Channel::ALL.into_iter().map(|c| view! {
                            <option value=c.as_str() selected=move || channel.get() == c.as_str()>{c.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let currency = currency_of(me.await.ok().flatten());
                match kpis.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(k) => view! { <KpiGrid k currency/> }.into_any(),
                }
            })}
        </Transition>
        <div class="dash-grid">
            <div class="dash-charts">
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match charts.await {
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        Ok(data) if data.is_empty() => view! {
                            <section class="card chart-card">
                                <EmptyState title="Nothing to chart yet">
                                    <p>"Messages, email opens and replies in this period will be charted here."</p>
                                    <A href="/leads" attr:class="btn">"Go to your leads"</A>
                                </EmptyState>
                            </section>
                        }.into_any(),
                        Ok(data) => {
                            let is_local = local.get_untracked();
                            view! {
                                <section class="card chart-card">
                                    <h2>"Messages by channel"</h2>
                                    <MessagesChart data=data.clone() local=is_local/>
                                </section>
                                <section class="card chart-card">
                                    <h2>"Email opens and clicks"</h2>
                                    <EngagementChart data=data.clone() local=is_local/>
                                </section>
                                <section class="card chart-card">
                                    <h2>"First response time"</h2>
                                    <ResponseChart data/>
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            </div>
            <section class="card feed-card">
                <h2>"Activity"</h2>
                <ActivityFeed/>
            </section>
        </div>
    }
}

/// The KPI cards of one answer.
#[component]
fn KpiGrid(k: Kpis, currency: String) -> impl IntoView {
    let sent_sub = format!(
        "Today {} · 7 d {} · 30 d {}",
        k.sent_today, k.sent_7d, k.sent_30d
    );
    let reply_sub = format!("{} of {} turns answered", k.replied_turns, k.outreach_turns);
    let response_sub = format!(
        "p90 {} · {} replies",
        format_duration(k.response_p90_secs),
        k.responses
    );
    let open_sub = format!(
        "Raw {} (with proxies) · {} delivered",
        format_rate(k.open_rate_any()),
        k.emails_delivered
    );
    let click_sub = format!("{} clicked", k.emails_clicked);
    let conversion_sub = format!("{} won of {} in play", k.leads_won, k.leads_in_play);
    view! {
        <div class="kpis" data-testid="kpis">
            <KpiCard key="sent" value=k.sent.to_string() sub=sent_sub/>
            <KpiCard key="replies" value=k.replies_received.to_string()/>
            <KpiCard key="reply_rate" value=format_rate(k.reply_rate()) sub=reply_sub/>
            <KpiCard key="first_response" value=format_duration(k.response_median_secs) sub=response_sub/>
            <KpiCard key="open_rate" value=format_rate(k.open_rate_human()) sub=open_sub/>
            <KpiCard key="click_rate" value=format_rate(k.click_rate()) sub=click_sub/>
            <KpiCard key="conversion" value=format_rate(k.conversion_rate()) sub=conversion_sub/>
            <KpiCard key="pipeline" value=format_money(k.pipeline_value_cents, &currency)/>
            <KpiCard key="won_value" value=format_money(k.won_value_cents, &currency)/>
            <KpiCard key="active" value=k.active_conversations.to_string()/>
        </div>
    }
}
