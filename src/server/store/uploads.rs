//! Files uploaded to go with a message (see migration 25): kept as uploads until a send copies
//! them beside its message in `channel_media`, with the token the provider fetches them by.
use super::db::{on_conn, on_db, Conn};
use super::{now, Store};
use crate::model::attachment::Upload;
use crate::model::ids::{MessageId, UserId, WorkspaceId};
use crate::model::message::AttachmentMeta;
use uuid::Uuid;

/// A file the provider fetches for a message being delivered.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MediaLink {
    pub public_token: String,
    pub filename: String,
    pub content_type: String,
}

/// A sent file, as `/media/{token}` serves it.
#[derive(sqlx::FromRow)]
pub struct PublicMedia {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Store {
    /// Keeps an upload, unless the user's unsent uploads would then pass `quota` bytes (None:
    /// refused). Checked and written in one write, so parallel uploads cannot pass it together.
    pub async fn insert_upload(
        &self,
        workspace: WorkspaceId,
        user: UserId,
        filename: &str,
        content_type: &str,
        data: &[u8],
        quota: i64,
    ) -> Result<Option<Upload>, sqlx::Error> {
        let upload = Upload {
            id: Uuid::new_v4(),
            filename: filename.to_string(),
            content_type: content_type.to_string(),
            size: data.len() as i64,
        };
        // Through the writer: a write on a pool connection would wait in SQLite's sleeping
        // busy handler behind an open group commit.
        let mut tx = self.begin_write().await?;
        let done = on_conn!(tx, |c, sql| {
            sqlx::query(sql("INSERT INTO uploads (id, workspace_id, user_id, filename, content_type, size, data, created_at) \
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 \
             WHERE (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM uploads WHERE user_id = ?3) + ?6 <= ?9",))
        .bind(upload.id)
        .bind(workspace)
        .bind(user)
        .bind(filename)
        .bind(content_type)
        .bind(upload.size)
        .bind(data)
        .bind(now())
        .bind(quota)
        .execute(c)
        .await.map(super::db::Done::from)
        })?;
        tx.commit(Vec::new()).await?;
        Ok((done.rows_affected() == 1).then_some(upload))
    }

    /// The files of `workspace` among `ids` that a message may carry, in the order asked
    /// (missing ones left out): uploads, and files already sent (so "Send as … instead" takes
    /// a failed message's files along). A received file is not one: it was never ours to send.
    pub async fn uploads(
        &self,
        workspace: WorkspaceId,
        ids: &[Uuid],
    ) -> Result<Vec<Upload>, sqlx::Error> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let row: Option<(Uuid, String, String, i64)> = on_db!(self.db(), |p, sql| {
                sqlx::query_as(sql("SELECT id, filename, content_type, size FROM uploads WHERE id = ?1 AND workspace_id = ?2 \
                 UNION ALL SELECT id, filename, content_type, size FROM channel_media \
                 WHERE id = ?1 AND workspace_id = ?2 AND public_token IS NOT NULL LIMIT 1",))
            .bind(id)
            .bind(workspace)
            .fetch_optional(p)
            .await
            })?;
            if let Some((id, filename, content_type, size)) = row {
                found.push(Upload {
                    id,
                    filename,
                    content_type,
                    size,
                });
            }
        }
        Ok(found)
    }

    /// A sent file by its token.
    pub async fn public_media(&self, token: &str) -> Result<Option<PublicMedia>, sqlx::Error> {
        on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT filename, content_type, data FROM channel_media WHERE public_token = ?",
        ))
        .bind(token)
        .fetch_optional(p)
        .await)
    }

    /// Deletes uploads older than `age` that no send took; how many went.
    pub async fn prune_uploads(&self, age: chrono::Duration) -> Result<u64, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        let done = on_conn!(tx, |c, sql| sqlx::query(sql(
            "DELETE FROM uploads WHERE created_at < ?"
        ))
        .bind(now() - age)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(done.rows_affected())
    }
}

/// The files to hand the provider with `message`, in order.
pub(crate) async fn media_links_in(
    mut conn: Conn<'_>,
    message: MessageId,
) -> Result<Vec<MediaLink>, sqlx::Error> {
    on_conn!(conn, |c, sql| sqlx::query_as(sql(
        "SELECT public_token, filename, content_type FROM channel_media \
         WHERE message_id = ? AND public_token IS NOT NULL ORDER BY position",
    ))
    .bind(message)
    .fetch_all(c)
    .await)
}

/// Copies `uploads` of `workspace` (uploads, or files already sent: see `Store::uploads`)
/// beside `message` (in the send's own write), each with a fresh token; the files as the thread
/// lists them. The uploads stay until pruned, so a send retried under a new client id can take
/// them again.
pub(crate) async fn attach_in(
    mut conn: Conn<'_>,
    workspace: WorkspaceId,
    message: MessageId,
    uploads: &[Uuid],
) -> Result<Vec<AttachmentMeta>, sqlx::Error> {
    let mut attached = Vec::with_capacity(uploads.len());
    for (position, upload) in uploads.iter().enumerate() {
        let row: Option<(Uuid, String, String, i64)> = on_conn!(conn, |c, sql| {
            sqlx::query_as(sql("INSERT INTO channel_media (id, message_id, workspace_id, position, filename, content_type, \
             size, data, public_token) \
             SELECT ?1, ?2, workspace_id, ?3, filename, content_type, size, data, ?4 FROM ( \
               SELECT workspace_id, filename, content_type, size, data FROM uploads \
               WHERE id = ?5 AND workspace_id = ?6 \
               UNION ALL SELECT workspace_id, filename, content_type, size, data FROM channel_media \
               WHERE id = ?5 AND workspace_id = ?6 AND public_token IS NOT NULL LIMIT 1) AS source \
             RETURNING id, filename, content_type, size",))
        .bind(Uuid::new_v4())
        .bind(message)
        .bind(position as i64)
        .bind(crate::server::crypto::random_hex(16))
        .bind(upload)
        .bind(workspace)
        .fetch_optional(c)
        .await
        })?;
        if let Some((id, filename, content_type, size)) = row {
            attached.push(AttachmentMeta {
                id,
                filename,
                content_type,
                size,
            });
        }
    }
    Ok(attached)
}
