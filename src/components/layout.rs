//! The signed-in app frame: top bar with navigation, the user and sign-out.
use super::connection_status::ConnectionStatus;
use super::toasts::Toasts;
use crate::api::auth::{get_current_user, Logout};
use crate::client::presence::provide_presence;
use crate::client::realtime::provide_realtime;
use crate::model::event::ServerFrame;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

/// Bumped when what the signed-in user is may have changed: their own profile (Settings, or a
/// `member_renamed` from another tab or device), their role (`team_changed`), or events were
/// missed (`reset`). Whatever reads who is signed in (the top bar, the owners-only settings)
/// reads it again instead of showing the old name or role until a reload.
#[derive(Clone, Copy)]
pub struct ProfileVersion(pub RwSignal<u32>);

#[component]
pub fn AppLayout() -> impl IntoView {
    let profile = RwSignal::new(0u32);
    provide_context(ProfileVersion(profile));
    let user = Resource::new(move || profile.get(), |_| get_current_user());
    // One socket per tab, shared by every page of the signed-in app.
    let realtime = provide_realtime();
    provide_presence(realtime);
    let me = Signal::derive(move || user.get().and_then(|u| u.ok().flatten()).map(|u| u.id));
    realtime.on_event(move |frame| match frame {
        // Whatever page this tab shows: a deleted lead's local draft and unsent messages go too.
        ServerFrame::LeadDeleted { lead_id, .. } => {
            crate::client::draft::forget_local(*lead_id);
            crate::client::outbox::forget_lead(*lead_id);
            super::attach::forget_lead(*lead_id);
        }
        // Renamed in another tab or device, or given another role: pages that read who is
        // signed in read it again.
        ServerFrame::MemberRenamed { user_id, .. } | ServerFrame::TeamChanged { user_id, .. }
            if me.get_untracked() == Some(*user_id) =>
        {
            profile.update(|v| *v += 1);
        }
        _ => {}
    });
    // Events were missed (the socket reset): a rename or role change may be among them.
    Effect::new(move |seen: Option<u64>| {
        let resets = realtime.resets.get();
        if seen.is_some_and(|s| s != resets) {
            profile.update(|v| *v += 1);
        }
        resets
    });
    let logout = ServerAction::<Logout>::new();
    let location = use_location();
    view! {
        <div class="app">
            <header class="topbar">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    "Leadwire"
                </A>
                <nav class="mainnav" aria-label="Main">
                    // `/` is the inbox too: the link is current on both.
                    <a
                        href="/inbox"
                        aria-current=move || {
                            let path = location.pathname.get();
                            (path == "/" || path == "/inbox" || path.starts_with("/inbox/"))
                                .then_some("page")
                        }
                    >
                        "Inbox"
                    </a>
                    <A href="/leads">"Leads"</A>
                    <A href="/dashboard">"Dashboard"</A>
                    <A href="/outbox">"Outbox"</A>
                </nav>
                <div class="account">
                    <ConnectionStatus/>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            user.await.ok().flatten().map(|u| view! {
                                <A href="/settings" attr:class="who" attr:title=format!("{} · {}", u.email, u.workspace_name)>
                                    <span class="avatar" aria-hidden="true">{initials(&u.name)}</span>
                                    <span class="who-name" data-testid="current-user">{u.name.clone()}</span>
                                </A>
                            })
                        })}
                    </Suspense>
                    <ActionForm action=logout>
                        <button type="submit" class="btn subtle">"Sign out"</button>
                    </ActionForm>
                </div>
            </header>
            <main class="content">
                <Outlet/>
            </main>
            <Toasts realtime me/>
        </div>
    }
}

/// "Dana Demo" → "DD".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
