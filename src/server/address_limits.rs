//! The per-address limits on sign-ups and public requests (requests without an account). One
//! SQLite instance keeps their token buckets in memory (`Throttle`); on PostgreSQL they live in
//! the database (`store::address_buckets`), so N instances behind a load balancer allow what
//! one allows, not N times as much.
use super::store::Store;
use super::throttle::{retry_after_secs, Throttle};
use crate::model::error::AppError;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Every this many takes, buckets idle long enough to be full again are forgotten.
const PRUNE_EVERY: u64 = 1024;

pub struct AddressLimit {
    /// Names this limit's buckets in the shared table (`signup`, `public`).
    name: &'static str,
    burst: u32,
    per_sec: f64,
    /// What a refused client reads.
    message: &'static str,
    local: Throttle<IpAddr>,
    /// On PostgreSQL: the shared buckets.
    shared: Option<Store>,
    takes: AtomicU64,
}

impl AddressLimit {
    /// `per_hour` requests an hour per address, all at once at most.
    pub fn per_hour(name: &'static str, per_hour: u32, message: &'static str) -> Self {
        Self::new(name, per_hour, per_hour as f64 / 3600.0, message)
    }

    /// `per_minute` requests a minute per address, all at once at most.
    pub fn per_minute(name: &'static str, per_minute: u32, message: &'static str) -> Self {
        Self::new(name, per_minute, per_minute as f64 / 60.0, message)
    }

    fn new(name: &'static str, burst: u32, per_sec: f64, message: &'static str) -> Self {
        AddressLimit {
            name,
            burst: burst.max(1),
            per_sec: per_sec.max(1e-9),
            message,
            local: Throttle::new(burst, per_sec),
            shared: None,
            takes: AtomicU64::new(0),
        }
    }

    /// Keeps the buckets in `store` (PostgreSQL; on SQLite the store keeps nothing).
    pub fn shared(mut self, store: Store) -> Self {
        self.shared = Some(store);
        self
    }

    /// Charges one request to `ip` (nothing to charge without an address), or refuses it with
    /// 429 and when to retry.
    pub async fn charge(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        let Some(ip) = ip else { return Ok(()) };
        let taken = match &self.shared {
            Some(store) => match self.take_shared(store, ip).await {
                Ok(taken) => taken,
                // The database cannot count right now: count on this instance rather than
                // refuse everyone or let everyone through.
                Err(e) => {
                    tracing::warn!(error = %e, limit = self.name, "shared address limit unavailable");
                    self.local.take(&ip, Instant::now())
                }
            },
            None => self.local.take(&ip, Instant::now()),
        };
        taken.map_err(|wait| AppError::RateLimited {
            message: self.message.into(),
            retry_after_secs: retry_after_secs(wait),
        })
    }

    async fn take_shared(
        &self,
        store: &Store,
        ip: IpAddr,
    ) -> Result<Result<(), Duration>, sqlx::Error> {
        let key = format!("{}:{ip}", self.name);
        let taken = store
            .take_address_token(&key, self.burst as f64, self.per_sec)
            .await?;
        if self.takes.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            // A bucket is full again `burst / per_sec` after its last take.
            let idle = Duration::from_secs_f64(self.burst as f64 / self.per_sec);
            // Housekeeping: a failure here must not charge the request again (in memory).
            if let Err(e) = store.forget_idle_address_buckets(self.name, idle).await {
                tracing::warn!(error = %e, limit = self.name, "forgetting idle address buckets");
            }
        }
        Ok(taken)
    }
}
