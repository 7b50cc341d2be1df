//! `/leads`: every lead of the workspace, searchable and filterable by stage.
use crate::api::auth::get_current_user;
use crate::api::leads::list_leads;
use crate::client::realtime::use_realtime;
use crate::components::badges::StageBadge;
use crate::components::local_time::LocalTime;
use crate::components::status::{EmptyState, ErrorNotice, Loading};
use crate::model::lead::Stage;
use crate::model::money::{currency_of, format_money};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn LeadsPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let stage = move || query.read().get("stage").unwrap_or_default();
    // Live: a lead created or changed anywhere in the workspace re-reads the list.
    let realtime = use_realtime();
    let leads = Resource::new(
        move || (q(), stage(), realtime.map(|r| r.leads_version.get())),
        |(q, stage, _)| list_leads(q, stage),
    );
    // The workspace's currency, for the deal column.
    // Reread when an owner changes the workspace's currency.
    let me = Resource::new(
        move || realtime.map(|r| r.workspace_version.get()),
        |_| get_current_user(),
    );
    view! {
        <Title text="Leads"/>
        <div class="page-head">
            <h1>"Leads"</h1>
            <A href="/leads/new" attr:class="btn primary">"New lead"</A>
        </div>
        <Form method="GET" action="" attr:class="filters">
            <label class="sr-only" for="lead-search">"Search leads"</label>
            <input id="lead-search" type="search" name="q" placeholder="Search name, company or email" value=q/>
            <label class="sr-only" for="lead-stage">"Stage"</label>
            <select id="lead-stage" name="stage">
                <option value="" selected=move || stage().is_empty()>"All stages"</option>
                {Stage::ALL
                    .into_iter()
                    .map(|s| view! { <option value=s.as_str() selected=move || stage() == s.as_str()>{s.label()}</option> })
                    .collect_view()}
            </select>
            <button type="submit" class="btn">"Filter"</button>
        </Form>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let currency = currency_of(me.await.ok().flatten());
                match leads.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(list) if list.is_empty() && q().is_empty() && stage().is_empty() => view! {
                        <EmptyState title="No leads yet">
                            <p>"Add the people you're talking to, then follow every conversation in one place."</p>
                            <A href="/leads/new" attr:class="btn primary">"Add your first lead"</A>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState title="No leads match">
                            <p>"Try another search or stage."</p>
                            <A href="/leads" attr:class="btn">"Clear filters"</A>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="leads-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col" class="hide-narrow">"Company"</th>
                                        <th scope="col">"Stage"</th>
                                        <th scope="col" class="hide-narrow">"Owner"</th>
                                        <th scope="col" class="num">"Value"</th>
                                        <th scope="col" class="hide-narrow">"Updated"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|lead| view! {
                                        <tr data-testid="lead-row">
                                            <td><A href=format!("/leads/{}", lead.id)>{lead.name.clone()}</A></td>
                                            <td class="hide-narrow">{lead.company.clone().unwrap_or_default()}</td>
                                            <td><StageBadge stage=lead.stage/></td>
                                            <td class="hide-narrow">{lead.owner_name.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="num">{lead.deal_value_cents.map(|c| format_money(c, &currency)).unwrap_or_else(|| "—".into())}</td>
                                            <td class="hide-narrow"><LocalTime at=lead.updated_at/></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
