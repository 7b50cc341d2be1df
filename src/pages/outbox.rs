//! `/outbox` and `/outbox/:id`: email kept locally because no SMTP relay is configured, each
//! viewable as the recipient would see it, with its pixel and tracked links live; and the
//! sandbox's SMS, WhatsApp and Instagram messages, which the lead's phone can answer, deliver
//! and read from here.
use crate::api::outbox::{list_outbox, outbox_mail_at, ReplyAsLead, SandboxReply, SandboxReport};
use crate::components::badges::ChannelBadge;
use crate::components::field::FormError;
use crate::components::local_time::{LocalTime, TimeStyle};
use crate::components::status::{ErrorNotice, Loading};
use crate::model::message::MessageStatus;
use crate::model::outbox::OutboxMail;
use crate::model::outbox::{SandboxEntry, TeamMail};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let reply = ServerAction::<SandboxReply>::new();
    let report = ServerAction::<SandboxReport>::new();
    let outbox = Resource::new(
        move || (reply.version().get(), report.version().get()),
        |_| list_outbox(),
    );
    view! {
        <Title text="Outbox"/>
        <div class="page-head">
            <h1>"Outbox"</h1>
        </div>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match outbox.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(o) => view! {
                        <p class="muted intro">
                            {match o.relay {
                                Some(host) => format!("Email goes out through {host}. This outbox only holds mail sent while no relay was configured."),
                                None => "No SMTP relay is configured, so email stays here instead of leaving the machine. Open one to see it as the lead would; its tracking pixel and links work, so opens and clicks show up in the thread.".to_string(),
                            }}
                        </p>
                        {if o.entries.is_empty() {
                            view! {
                                <div class="empty card"><p>"Nothing here yet. Send an email from a lead's conversation and it appears here."</p></div>
                            }.into_any()
                        } else {
                            view! {
                                <ul class="list card outbox-list" aria-label="Sent email">
                                    {o.entries.into_iter().map(|e| view! {
                                        <li data-testid="outbox-item">
                                            <A href=format!("/outbox/{}", e.message_id) attr:class="row-link">
                                                <span class="subject">{if e.subject.is_empty() { "(no subject)".to_string() } else { e.subject.clone() }}</span>
                                                <span class="muted">{format!("To {} <{}>", e.lead_name, e.to)}</span>
                                                {e.opened_at.map(|_| view! { <span class="badge">"Read"</span> })}
                                                <LocalTime at=e.sent_at/>
                                            </A>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        <SandboxSection entries=o.sandbox reply report/>
                        <TeamMailSection mails=o.team_mail/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Invites emailed to teammates while no relay was configured, each readable in place.
#[component]
fn TeamMailSection(mails: Vec<TeamMail>) -> impl IntoView {
    (!mails.is_empty()).then(|| {
        view! {
            <h2>"Team email"</h2>
            <p class="muted">"Invites emailed to teammates. The links in them work: copy one into another browser to accept it."</p>
            <ul class="list card team-mail-list" aria-label="Team email">
                {mails.into_iter().map(|m| view! {
                    <li data-testid="team-mail">
                        <details>
                            <summary>
                                <span class="subject">{m.subject.clone()}</span>
                                " "
                                <span class="muted">{format!("To {}", m.to)}</span>
                                " "
                                <LocalTime at=m.sent_at/>
                            </summary>
                            <pre class="mail-text">{m.text.clone()}</pre>
                        </details>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// SMS, WhatsApp and Instagram messages the sandbox took: the lead's side of each, with a reply
/// box that answers as the lead and the delivery reports a phone would send.
#[component]
fn SandboxSection(
    entries: Vec<SandboxEntry>,
    reply: ServerAction<SandboxReply>,
    report: ServerAction<SandboxReport>,
) -> impl IntoView {
    let error = Signal::derive(move || {
        let failed = |e: Option<Result<(), crate::model::error::AppError>>| {
            e.and_then(Result::err).map(|e| e.to_string())
        };
        failed(reply.value().get()).or_else(|| failed(report.value().get()))
    });
    let list = if entries.is_empty() {
        view! {
            <div class="empty card"><p>"No sandbox messages yet. Send an SMS, WhatsApp or Instagram message to a lead while the channel isn't connected, and it appears here."</p></div>
        }
        .into_any()
    } else {
        view! {
            <ul class="list card sandbox-list" aria-label="Sandbox messages">
                {entries.into_iter().map(|e| {
                    let id = e.message.id.to_string();
                    let can_read = e.message.channel != crate::model::channel::Channel::Sms;
                    // As the lead's phone sees it.
                    let status = match e.message.status {
                        MessageStatus::Queued => "On its way",
                        MessageStatus::Delivered => "Delivered",
                        MessageStatus::Read => "Read",
                        MessageStatus::Failed => "Failed",
                        MessageStatus::Sent | MessageStatus::Received => "Arrived, not yet reported delivered",
                    };
                    let (id_a, id_b, id_c) = (id.clone(), id.clone(), id.clone());
                    view! {
                        <li class="sandbox-item" data-testid="sandbox-item">
                            <div class="message-meta">
                                <ChannelBadge channel=e.message.channel/>
                                <span>{format!("To {} ({})", e.lead_name, e.to)}</span>
                                <span class="badge" data-testid="sandbox-status">{status}</span>
                                <LocalTime at=e.message.created_at/>
                            </div>
                            <p class="body" dir="auto">{e.message.body.clone()}</p>
                            {crate::components::message_list::attachment_list(&e.message)}
                            <div class="row-actions">
                                <ActionForm action=report>
                                    <input type="hidden" name="id" value=id_a/>
                                    <input type="hidden" name="status" value="delivered"/>
                                    <button type="submit" class="btn subtle small">"Mark delivered"</button>
                                </ActionForm>
                                <ActionForm action=report>
                                    <input type="hidden" name="id" value=id_c/>
                                    <input type="hidden" name="status" value="undelivered"/>
                                    <button type="submit" class="btn subtle small">"Mark undelivered"</button>
                                </ActionForm>
                                {can_read.then(|| view! {
                                    <ActionForm action=report>
                                        <input type="hidden" name="id" value=id_b/>
                                        <input type="hidden" name="status" value="read"/>
                                        <button type="submit" class="btn subtle small">"Mark read"</button>
                                    </ActionForm>
                                })}
                            </div>
                            <ActionForm action=reply attr:class="sandbox-reply">
                                <input type="hidden" name="id" value=id/>
                                <label class="field">
                                    <span>{format!("Reply as {}", e.lead_name)}</span>
                                    <textarea name="body" rows="2" required></textarea>
                                </label>
                                <button type="submit" class="btn primary small" disabled=move || reply.pending().get()>
                                    "Send as the lead"
                                </button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <h2 class="section-title">"Sandbox"</h2>
        <p class="muted intro">
            "SMS, WhatsApp and Instagram messages sent while the channel isn't connected stop here instead of reaching the lead's phone. "
            "Answer as the lead, or report a message delivered, read or undelivered: each goes through the same signed webhook a provider calls."
        </p>
        <FormError message=error/>
        {list}
    }
}

#[component]
pub fn OutboxMailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let mail = Resource::new(id, outbox_mail_at);
    view! {
        <Title text="Outbox"/>
        <p class="crumbs"><A href="/outbox">"← Outbox"</A></p>
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match mail.await {
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    Ok(m) => view! { <MailView mail=m/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MailView(mail: OutboxMail) -> impl IntoView {
    let source = RwSignal::new(false);
    let reply = view! {
        <LeadReply
            message_id=mail.message_id.to_string()
            lead_id=mail.lead_id.to_string()
            lead_name=mail.lead_name.clone()
        />
    };
    let subject = if mail.subject.is_empty() {
        "(no subject)".to_string()
    } else {
        mail.subject.clone()
    };
    view! {
        <article class="card mail" aria-label="Email">
            <h1 class="mail-subject">{subject}</h1>
            <dl class="mail-headers">
                {mail.headers.into_iter().map(|(name, value)| view! {
                    <dt>{name}</dt><dd>{value}</dd>
                }).collect_view()}
                <dt>"Sent"</dt><dd><LocalTime at=mail.sent_at style=TimeStyle::Full/></dd>
            </dl>
            <p class="muted">
                "Sent to "<A href=format!("/leads/{}", mail.lead_id)>{mail.lead_name.clone()}</A>
                ". Loading it here counts as the lead opening it."
            </p>
            // Sandboxed: the email's HTML runs no script; its links open in a new tab.
            <iframe
                class="mail-frame"
                title="Email as the recipient sees it"
                sandbox="allow-popups allow-popups-to-escape-sandbox"
                src=format!("/outbox/{}/html", mail.message_id)
            ></iframe>
            <button type="button" class="btn subtle" on:click=move |_| source.update(|s| *s = !*s)
                aria-expanded=move || source.get().to_string()>
                {move || if source.get() { "Hide source" } else { "Show source" }}
            </button>
            <Show when=move || source.get()>
                <pre class="mail-source">{mail.raw.clone()}</pre>
            </Show>
        </article>
        {reply}
    }
}

/// Try the round trip without a mail account: the lead's mail client answers this email, and
/// the reply arrives the way every received email does.
#[component]
fn LeadReply(message_id: String, lead_id: String, lead_name: String) -> impl IntoView {
    let reply = ServerAction::<ReplyAsLead>::new();
    let error = Signal::derive(move || {
        reply
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    let done = move || matches!(reply.value().get(), Some(Ok(_)));
    let thread = format!("/leads/{lead_id}");
    view! {
        <section class="card lead-reply" aria-labelledby="lead-reply-title">
            <h2 id="lead-reply-title">{format!("Reply as {lead_name}")}</h2>
            <p class="muted">"Sends a real reply to this email from the lead's address, threaded to it, through the same path as mail that arrives from outside."</p>
            <ActionForm action=reply>
                <input type="hidden" name="id" value=message_id/>
                <label class="field">
                    <span>"The lead writes"</span>
                    <textarea name="body" rows="3" required>"Thanks! Thursday works for me."</textarea>
                </label>
                <button type="submit" class="btn primary" disabled=move || reply.pending().get()>
                    {move || if reply.pending().get() { "Sending…" } else { "Reply as the lead" }}
                </button>
            </ActionForm>
            <FormError message=error/>
            <Show when=done>
                <p role="status" data-testid="lead-reply-done">
                    "The reply is in the conversation. "
                    <A href=thread.clone()>"Open it"</A>
                </p>
            </Show>
        </section>
    }
}
