//! WhatsApp templates a workspace declared (as approved in WhatsApp Manager), and when a lead
//! last wrote on a channel: the start of its 24-hour window.
use super::db::{on_conn, on_db};
use super::{now, Store};
use crate::model::ids::{LeadId, TemplateId, WorkspaceId};
use crate::model::template::Template;
use chrono::{DateTime, Utc};
use uuid::Uuid;

const SELECT: &str = "SELECT id, name, language, body, twilio_content_sid FROM message_templates";

#[derive(sqlx::FromRow)]
struct Row {
    id: TemplateId,
    name: String,
    language: String,
    body: String,
    twilio_content_sid: Option<String>,
}

impl From<Row> for Template {
    fn from(r: Row) -> Self {
        Template {
            id: r.id,
            name: r.name,
            language: r.language,
            body: r.body,
            twilio_content_sid: r.twilio_content_sid,
        }
    }
}

impl Store {
    /// The workspace's templates, by name and language.
    pub async fn templates(&self, workspace: WorkspaceId) -> Result<Vec<Template>, sqlx::Error> {
        let rows: Vec<Row> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{SELECT} WHERE workspace_id = ? ORDER BY name, language"
        )))
        .bind(workspace)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn template(
        &self,
        workspace: WorkspaceId,
        name: &str,
        language: &str,
    ) -> Result<Option<Template>, sqlx::Error> {
        let row: Option<Row> = on_db!(self.db(), |p, sql| sqlx::query_as(sql(&format!(
            "{SELECT} WHERE workspace_id = ? AND name = ? AND language = ?"
        )))
        .bind(workspace)
        .bind(name)
        .bind(language)
        .fetch_optional(p)
        .await)?;
        Ok(row.map(Into::into))
    }

    /// A template as Meta lists it: added, or the text of the one with that name and language
    /// replaced (its Twilio Content SID, which Meta does not know, kept).
    pub async fn import_template(
        &self,
        workspace: WorkspaceId,
        name: &str,
        language: &str,
        body: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "INSERT INTO message_templates (id, workspace_id, name, language, body, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, name, language) \
             DO UPDATE SET body = excluded.body",
        ))
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(name)
        .bind(language)
        .bind(body)
        .bind(now())
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(())
    }

    /// Adds a template, or replaces the text (and Twilio Content SID) of the one with that
    /// name and language.
    pub async fn save_template(
        &self,
        workspace: WorkspaceId,
        name: &str,
        language: &str,
        body: &str,
        twilio_content_sid: Option<&str>,
    ) -> Result<Template, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let row: Row = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql("INSERT INTO message_templates (id, workspace_id, name, language, body, created_at, \
             twilio_content_sid) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, name, language) \
             DO UPDATE SET body = excluded.body, twilio_content_sid = excluded.twilio_content_sid \
             RETURNING id, name, language, body, twilio_content_sid",))
        .bind(Uuid::new_v4())
        .bind(workspace)
        .bind(name)
        .bind(language)
        .bind(body)
        .bind(now())
        .bind(twilio_content_sid)
        .fetch_one(c)
        .await
        })?;
        tx.commit(Vec::new()).await?;
        Ok(row.into())
    }

    /// Removes a template; false when the workspace has no such template.
    pub async fn delete_template(
        &self,
        workspace: WorkspaceId,
        id: TemplateId,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM message_templates WHERE id = ? AND workspace_id = ?"
        ))
        .bind(id)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected() == 1)
    }

    /// When the lead last wrote on each channel with a 24-hour window (WhatsApp, Instagram):
    /// their windows run from there. One read for both.
    pub async fn last_inbound_by_channel(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
    ) -> Result<Vec<(String, DateTime<Utc>)>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT m.channel, MAX(m.created_at) FROM messages m JOIN leads l ON l.id = m.lead_id \
             WHERE m.lead_id = ? AND l.workspace_id = ? AND m.direction = 'inbound' \
             AND m.channel IN ('whatsapp', 'instagram') GROUP BY m.channel",
        ))
        .bind(lead)
        .bind(workspace)
        .fetch_all(p)
        .await)
    }
}
