//! One background task per workspace (the mailbox watchers): started again when the
//! workspace's settings change, aborted with the server's state.
use crate::model::ids::WorkspaceId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::task::JoinHandle;

#[derive(Default)]
pub struct WorkspaceTasks {
    tasks: Mutex<HashMap<WorkspaceId, JoinHandle<()>>>,
}

impl WorkspaceTasks {
    /// Aborts `workspace`'s task, if any, then keeps the one `start` spawns in its place.
    pub fn restart(&self, workspace: WorkspaceId, start: impl FnOnce() -> JoinHandle<()>) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = tasks.remove(&workspace) {
            old.abort();
        }
        tasks.insert(workspace, start());
    }
}

impl Drop for WorkspaceTasks {
    fn drop(&mut self) {
        let tasks = self.tasks.get_mut().unwrap_or_else(|p| p.into_inner());
        for (_, task) in tasks.drain() {
            task.abort();
        }
    }
}
