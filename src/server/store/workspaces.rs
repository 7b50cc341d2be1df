//! Workspaces: created together with their first user at sign-up.
use super::db::{on_conn, on_db, Conn};
use super::{now, Store};
use crate::model::event::ServerFrame;
use crate::model::ids::{UserId, WorkspaceId};

/// A user about to be created (the password already hashed).
pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
}

impl Store {
    /// Creates a workspace and its owner in one transaction.
    pub async fn create_workspace_with_owner(
        &self,
        workspace_name: &str,
        owner: NewUser<'_>,
    ) -> Result<(WorkspaceId, UserId), sqlx::Error> {
        let workspace = WorkspaceId::new_random();
        let user = UserId::new_random();
        let at = now();
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)"
        ))
        .bind(workspace)
        .bind(workspace_name)
        .bind(at)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        insert_user(tx.reborrow(), workspace, user, &owner, "owner").await?;
        tx.commit(Vec::new()).await?;
        Ok((workspace, user))
    }

    /// Whether new emails of the workspace get a pixel and tracked links.
    pub async fn email_tracking(&self, workspace: WorkspaceId) -> Result<bool, sqlx::Error> {
        let (on,): (bool,) = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT email_tracking FROM workspaces WHERE id = ?"
        ))
        .bind(workspace)
        .fetch_one(p)
        .await)?;
        Ok(on)
    }

    /// Switches tracking for new emails, and for hits on emails already sent.
    pub async fn set_email_tracking(
        &self,
        workspace: WorkspaceId,
        on: bool,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_unlogged_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE workspaces SET email_tracking = ? WHERE id = ?"
        ))
        .bind(on)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(Vec::new()).await?;
        Ok(())
    }

    /// The currency every amount of the workspace is shown in (a code from `model::money`).
    pub async fn set_currency(
        &self,
        workspace: WorkspaceId,
        currency: &str,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.begin_write().await?;
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE workspaces SET currency = ? WHERE id = ?"
        ))
        .bind(currency)
        .bind(workspace)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        // Every open page of the workspace writes amounts in it from now on.
        let currency = currency.to_string();
        let event = super::events::append(tx.reborrow(), workspace, None, move |seq| {
            ServerFrame::WorkspaceUpdated { seq, currency }
        })
        .await?;
        tx.commit(vec![event]).await
    }

    pub async fn workspace_count(&self) -> Result<i64, sqlx::Error> {
        let (n,): (i64,) = on_db!(self.db(), |p, sql| sqlx::query_as(sql(
            "SELECT COUNT(*) FROM workspaces"
        ))
        .fetch_one(p)
        .await)?;
        Ok(n)
    }
}

pub(super) async fn insert_user(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    id: UserId,
    user: &NewUser<'_>,
    role: &str,
) -> Result<(), sqlx::Error> {
    on_conn!(tx, |c, sql| sqlx::query(sql(
        "INSERT INTO users (id, workspace_id, name, email, password_hash, role, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    ))
    .bind(id)
    .bind(workspace)
    .bind(user.name)
    .bind(user.email)
    .bind(user.password_hash)
    .bind(role)
    .bind(now())
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    Ok(())
}

impl Store {
    /// Adds a member directly (the demo seed; real teammates join through invites).
    pub async fn insert_demo_teammate(
        &self,
        workspace: WorkspaceId,
        name: &str,
        email: &str,
        password_hash: &str,
    ) -> Result<UserId, sqlx::Error> {
        let id = UserId::new_random();
        let mut tx = self.begin_unlogged_write().await?;
        insert_user(
            tx.reborrow(),
            workspace,
            id,
            &NewUser {
                name,
                email,
                password_hash,
            },
            "member",
        )
        .await?;
        tx.commit(Vec::new()).await?;
        Ok(id)
    }
}
