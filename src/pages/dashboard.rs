//! `/dashboard`: the pipeline at a glance (the live KPI dashboard builds on this).
use crate::api::leads::get_pipeline_summary;
use crate::client::realtime::use_realtime;
use crate::components::badges::StageBadge;
use crate::components::status::{EmptyState, ErrorNotice, Loading};
use crate::model::lead::format_money;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let realtime = use_realtime();
    let summary = Resource::new(
        move || realtime.map(|r| r.messages_version.get()).unwrap_or(0),
        |_| get_pipeline_summary(),
    );
    view! {
        <Title text="Dashboard"/>
        <div class="page-head">
            <h1>"Dashboard"</h1>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match summary.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(s) if s.stages.iter().all(|st| st.leads == 0) => view! {
                        <EmptyState title="Nothing to measure yet">
                            <p>"Once you add leads, your pipeline and activity show up here."</p>
                            <A href="/leads/new" attr:class="btn primary">"Add a lead"</A>
                        </EmptyState>
                    }.into_any(),
                    Ok(s) => {
                        let total: i64 = s.stages.iter().map(|st| st.leads).sum();
                        let widest = s.stages.iter().map(|st| st.leads).max().unwrap_or(1).max(1);
                        view! {
                            <div class="kpis">
                                <div class="kpi" title="Sum of deal values of leads not yet won or lost">
                                    <span class="kpi-label">"Open pipeline"</span>
                                    <span class="kpi-value" data-testid="kpi-open-pipeline">{format_money(s.open_value_cents)}</span>
                                </div>
                                <div class="kpi" title="Sum of deal values of won leads">
                                    <span class="kpi-label">"Won"</span>
                                    <span class="kpi-value">{format_money(s.won_value_cents)}</span>
                                </div>
                                <div class="kpi" title="All leads in the workspace">
                                    <span class="kpi-label">"Leads"</span>
                                    <span class="kpi-value" data-testid="kpi-leads">{total}</span>
                                </div>
                                <div class="kpi" title="Messages sent and received in the last 7 days">
                                    <span class="kpi-label">"Messages, 7 days"</span>
                                    <span class="kpi-value" data-testid="kpi-messages-7d">{s.messages_last_7_days}</span>
                                </div>
                            </div>
                            <section class="card">
                                <h2>"Pipeline by stage"</h2>
                                <ul class="stage-bars">
                                    {s.stages.into_iter().map(|st| {
                                        let width = format!("width: {}%", (st.leads * 100 / widest).max(2));
                                        view! {
                                            <li>
                                                <StageBadge stage=st.stage/>
                                                <span class="bar-track"><span class=format!("bar stage-{}", st.stage.as_str()) style=width></span></span>
                                                <span class="bar-figures">{st.leads} " · " {format_money(st.value_cents)}</span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
