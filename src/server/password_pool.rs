//! Password hashing on a fixed memory budget. argon2id (m = 19 MiB, t = 2, p = 1) needs 19 MiB of
//! working memory per hash; run on the blocking pool, every concurrent sign-up or sign-in took its
//! own 19 MiB and the allocator kept it, so anyone could grow the server by gigabytes. Here a fixed
//! number of hashing threads each reuse one buffer, callers wait in a bounded queue, and a full
//! queue is answered at once with "try again shortly" (429) instead of more memory. A thread
//! gives its buffer back to the system when nothing is waiting (see `password_memory`).
use super::crypto::ARGON2_PARAMS;
use super::password_memory::{Gauge, HashMemory};
use crate::model::error::AppError;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, TryLockError};
use tokio::sync::oneshot;

/// A stored hash asking for more memory than this is treated as invalid rather than computed
/// (we only ever write 19 MiB ones; a tampered row must not be able to allocate gigabytes).
const MAX_BLOCKS: usize = 64 * 1024;

/// How long a caller turned away should wait before trying again.
const RETRY_AFTER_SECS: u64 = 2;

enum Job {
    Hash {
        password: String,
        reply: oneshot::Sender<Option<String>>,
    },
    /// `stored: None` checks against a dummy hash, so an unknown account costs the same time.
    Verify {
        password: String,
        stored: Option<String>,
        reply: oneshot::Sender<bool>,
    },
}

/// The hashing threads and their queue. Cloning shares them.
#[derive(Clone)]
pub struct PasswordPool {
    queue: SyncSender<Job>,
    slots: usize,
    memory: Arc<Gauge>,
}

impl PasswordPool {
    /// Starts `slots` hashing threads (each holds at most one 19 MiB buffer, mapped on first
    /// use and kept while requests keep coming) behind a queue of `queue` waiting requests.
    pub fn start(slots: usize, queue: usize) -> Self {
        let slots = slots.max(1);
        let (sender, receiver) = sync_channel(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let memory = Arc::new(Gauge::default());
        for n in 0..slots {
            let receiver = receiver.clone();
            let memory = HashMemory::new(memory.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || work(receiver, memory));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        PasswordPool {
            queue: sender,
            slots,
            memory,
        }
    }

    /// What the hashing threads hold now, and how often they mapped it.
    pub fn memory(&self) -> &Gauge {
        &self.memory
    }

    /// Working memory of the hashing threads at their peak: the bound the README documents.
    pub fn peak_bytes(&self) -> usize {
        self.slots * ARGON2_PARAMS.block_count() * Block::SIZE
    }

    /// Hashes a new password (argon2id, PHC string).
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash {
            password: password.to_string(),
            reply,
        })?;
        match answer.await {
            Ok(Some(hash)) => Ok(hash),
            _ => {
                tracing::error!("password hashing failed");
                Err(AppError::Internal)
            }
        }
    }

    /// Checks `password` against `stored`; with `None`, spends the same time and says no.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, AppError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password: password.to_string(),
            stored,
            reply,
        })?;
        answer.await.map_err(|_| {
            tracing::error!("password check failed");
            AppError::Internal
        })
    }

    fn submit(&self, job: Job) -> Result<(), AppError> {
        match self.queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(AppError::RateLimited {
                message: "Leadwire is busy checking passwords. Please try again in a moment."
                    .into(),
                retry_after_secs: RETRY_AFTER_SECS,
            }),
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("password hashing threads are gone");
                Err(AppError::Internal)
            }
        }
    }
}

/// One hashing thread: takes jobs until the pool is dropped, reusing one buffer while jobs
/// keep coming and giving it back before it waits for the next.
fn work(receiver: Arc<Mutex<Receiver<Job>>>, mut memory: HashMemory) {
    loop {
        // A job already waiting is taken with the buffer still mapped. The receiver being
        // locked means another thread is waiting in `recv` below (nothing is queued) or taking
        // a job this moment; either way this one gives its buffer back before it waits.
        let waiting = match receiver.try_lock() {
            Ok(receiver) => receiver.try_recv(),
            Err(TryLockError::Poisoned(p)) => p.into_inner().try_recv(),
            Err(TryLockError::WouldBlock) => Err(TryRecvError::Empty),
        };
        let job = match waiting {
            Ok(job) => job,
            Err(TryRecvError::Disconnected) => return,
            Err(TryRecvError::Empty) => {
                memory.release();
                let receiver = receiver.lock().unwrap_or_else(|p| p.into_inner());
                match receiver.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                }
            }
        };
        match job {
            Job::Hash { password, reply } => {
                let _ = reply.send(hash_with(&mut memory, &password));
            }
            Job::Verify {
                password,
                stored,
                reply,
            } => {
                let ok = match stored {
                    Some(stored) => verify_with(&mut memory, &password, &stored),
                    None => {
                        let _ = hash_with(&mut memory, &password);
                        false
                    }
                };
                let _ = reply.send(ok);
            }
        }
    }
}

/// argon2id with [`ARGON2_PARAMS`] and a fresh salt, as a PHC string.
fn hash_with(memory: &mut HashMemory, password: &str) -> Option<String> {
    let params = ARGON2_PARAMS;
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf).ok()?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            memory.blocks(params.block_count())?,
        )
        .ok()?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).ok()?),
    };
    Some(phc.to_string())
}

/// Recomputes the stored hash's parameters and salt over `password`; constant-time compare.
fn verify_with(memory: &mut HashMemory, password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    if params.block_count() > MAX_BLOCKS {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let count = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let Some(blocks) = memory.blocks(count) else {
        return false;
    };
    if argon
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_match_the_crate_format() {
        let pool = PasswordPool::start(1, 4);
        let hash = pool.hash("correct horse").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(pool
            .verify("correct horse", Some(hash.clone()))
            .await
            .unwrap());
        assert!(!pool
            .verify("wrong horse", Some(hash.clone()))
            .await
            .unwrap());
        assert!(!pool
            .verify("correct horse", Some("garbage".into()))
            .await
            .unwrap());
        assert!(!pool.verify("correct horse", None).await.unwrap());
        // Hashes written by the crate's own API (every hash stored before the pool) still verify.
        let older = super::super::crypto::hash_password("correct horse").unwrap();
        assert!(pool.verify("correct horse", Some(older)).await.unwrap());
        assert!(super::super::crypto::verify_password(
            "correct horse",
            &hash
        ));
    }

    #[tokio::test]
    async fn a_full_queue_is_told_to_retry_instead_of_waiting_for_memory() {
        let pool = PasswordPool::start(1, 1);
        let jobs: Vec<_> = (0..8).map(|_| pool.hash("correct horse")).collect();
        let results = futures_util::future::join_all(jobs).await;
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(AppError::RateLimited { .. })))
            .count();
        assert!(
            refused >= 1,
            "8 hashes on 1 slot + 1 queue place: some must be refused"
        );
        assert!(
            results.iter().any(|r| r.is_ok()),
            "the queued ones are served"
        );
        assert_eq!(pool.peak_bytes(), 19 * 1024 * 1024);
    }

    /// A burst's hashes share one buffer per thread; once nothing waits, it goes back to the
    /// system (through the allocator it stayed resident: see `password_memory`).
    #[tokio::test]
    async fn the_buffer_serves_a_burst_and_is_given_back_when_idle() {
        // Two threads: the one done with the burst's last hash must not wait for the other,
        // idle in `recv`, before it gives its buffer back.
        let pool = PasswordPool::start(2, 8);
        assert_eq!(pool.memory().held_bytes(), 0);
        let burst: Vec<_> = (0..4).map(|_| pool.hash("correct horse")).collect();
        for hash in futures_util::future::join_all(burst).await {
            hash.unwrap();
        }
        assert!(
            pool.memory().maps() <= 2,
            "{} mappings",
            pool.memory().maps()
        );
        let started = std::time::Instant::now();
        while pool.memory().held_bytes() != 0 {
            assert!(
                started.elapsed().as_secs() < 10,
                "the idle thread kept its buffer"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The next request maps it again, and gets a correct hash out of fresh memory.
        let hash = pool.hash("correct horse").await.unwrap();
        assert!(pool.verify("correct horse", Some(hash)).await.unwrap());
        assert!(pool.memory().held_bytes() <= 19 * 1024 * 1024);
    }
}
