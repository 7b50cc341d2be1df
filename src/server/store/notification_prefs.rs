//! Per-user notification preferences (no row: the defaults).
use super::db::{on_conn, on_db};
use super::{now, Store};
use crate::model::event::ServerFrame;
use crate::model::ids::{UserId, WorkspaceId};
use crate::model::notification::NotificationPrefs;

#[derive(sqlx::FromRow)]
struct PrefsRow {
    inbound_message: bool,
    email_opened: bool,
    link_clicked: bool,
    lead_converted: bool,
    meeting_booked: bool,
    sound: bool,
}

impl Store {
    pub async fn notification_prefs(&self, user: UserId) -> Result<NotificationPrefs, sqlx::Error> {
        let row = on_db!(self.db(), |p, sql| {
            sqlx::query_as::<_, PrefsRow>(sql("SELECT inbound_message, email_opened, link_clicked, lead_converted, meeting_booked, sound \
             FROM notification_prefs WHERE user_id = ?",))
        .bind(user)
        .fetch_optional(p)
        .await
        })?;
        Ok(
            row.map_or_else(NotificationPrefs::default, |r| NotificationPrefs {
                inbound_message: r.inbound_message,
                email_opened: r.email_opened,
                link_clicked: r.link_clicked,
                lead_converted: r.lead_converted,
                meeting_booked: r.meeting_booked,
                sound: r.sound,
            }),
        )
    }

    /// Saves `user`'s settings; their other tabs hear `prefs_updated` (private to them).
    pub async fn save_notification_prefs(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        p: &NotificationPrefs,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO notification_prefs (user_id, inbound_message, email_opened, link_clicked, \
             lead_converted, meeting_booked, sound, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET inbound_message = excluded.inbound_message, \
             email_opened = excluded.email_opened, link_clicked = excluded.link_clicked, \
             lead_converted = excluded.lead_converted, meeting_booked = excluded.meeting_booked, \
             sound = excluded.sound, updated_at = excluded.updated_at",))
        .bind(user)
        .bind(p.inbound_message)
        .bind(p.email_opened)
        .bind(p.link_clicked)
        .bind(p.lead_converted)
        .bind(p.meeting_booked)
        .bind(p.sound)
        .bind(now())
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        let prefs = *p;
        let event = super::events::append(tx.reborrow(), workspace, Some(user), move |seq| {
            ServerFrame::PrefsUpdated { seq, prefs }
        })
        .await?;
        tx.commit(vec![event]).await?;
        Ok(())
    }
}
