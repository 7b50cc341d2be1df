//! The inbox's rows, kept per viewer and filter for as long as the workspace's event head has
//! not moved.
//!
//! Rendering `/inbox` on a large workspace spent two fifths of its instructions on the 50-row
//! query (four index seeks per row for the unread counts) and decoding its rows (callgrind,
//! README *Benchmarks*), yet the answer only changes when something is written to the
//! workspace: every write that changes a row — a message, a lead's edit or deletion, a read
//! mark, a teammate's rename — takes a seq from the workspace's head in its own transaction. The
//! page guard reads that head with the session, before any page data, so rows read after it are
//! at least as new as it: rows cached under head `h` are right for every later request that reads
//! `h` again, on this instance or (the head being in the database) after another instance wrote
//! nothing. A request that reads another head reads the rows afresh.
//!
//! A cached page also carries what rendering makes of it — each row's markup and the page's
//! encoded hydration data (`InboxPage::prepared`) — so a render that reuses it does neither
//! again. Entries expire after [`MAX_AGE`], so times the rows wrote from the server's clock
//! ("14:05" today, a date before) are never older than that; the browser rewrites them in its
//! own zone anyway. The cache is bounded: at most [`MAX_ENTRIES`] pages (~100 KB each for fifty
//! rows with their markup), the least recently used going first.
//!
//! Measured (README *Benchmarks*, 2-core AMD EPYC, 100,000 leads): 1,055–1,216 renders/s
//! without it, 2,292–2,925/s with it, 2,121/s while the workspace takes 20 writes a second.
use crate::model::ids::{UserId, WorkspaceId};
use crate::model::inbox::{InboxFilter, InboxPage};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an entry may be used at all.
pub const MAX_AGE: Duration = Duration::from_secs(30);
/// How many pages are kept (viewers × filters in use).
pub const MAX_ENTRIES: usize = 128;

/// Whose page, with which filter and length.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub workspace: WorkspaceId,
    pub viewer: UserId,
    pub filter: InboxFilter,
    pub limit: i64,
}

struct Entry {
    head: i64,
    made: Instant,
    /// When it was last handed out (a count of hand-outs), for eviction.
    used: u64,
    page: Arc<InboxPage>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<PageKey, Entry>,
    ticks: u64,
}

/// See the module's comment.
#[derive(Default)]
pub struct InboxCache {
    entries: Mutex<Entries>,
}

impl InboxCache {
    /// The page cached for `key` under `head`, if it is still young enough.
    pub fn get(&self, key: &PageKey, head: i64) -> Option<Arc<InboxPage>> {
        self.get_at(Instant::now(), key, head)
    }

    fn get_at(&self, now: Instant, key: &PageKey, head: i64) -> Option<Arc<InboxPage>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.ticks += 1;
        let tick = entries.ticks;
        let entry = entries.map.get_mut(key)?;
        if entry.head != head || now.saturating_duration_since(entry.made) > MAX_AGE {
            return None;
        }
        entry.used = tick;
        Some(entry.page.clone())
    }

    /// Keeps `page`, read after the workspace's head was `head`, from `read_at` on (its age
    /// counts from there). An entry for a later head is not replaced by an earlier one (a
    /// request that read the head before a write can finish after one that read it after).
    pub fn put(&self, key: PageKey, head: i64, read_at: Instant, page: Arc<InboxPage>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.ticks += 1;
        let tick = entries.ticks;
        let entries = &mut entries.map;
        if entries.get(&key).is_some_and(|e| e.head > head) {
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            // Scans of a hundred-odd entries, only when a new one arrives at a full cache:
            // expired pages go first, else the least recently used.
            let now = Instant::now();
            entries.retain(|_, e| now.saturating_duration_since(e.made) <= MAX_AGE);
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            key,
            Entry {
                head,
                made: read_at,
                used: tick,
                page,
            },
        );
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(name: &str) -> Arc<InboxPage> {
        Arc::new(InboxPage {
            rows: Vec::new(),
            searched: name == "searched",
            prepared: None,
        })
    }

    /// `viewer`'s whole inbox, fifty rows.
    fn all(workspace: WorkspaceId, viewer: UserId) -> PageKey {
        PageKey {
            workspace,
            viewer,
            filter: InboxFilter::default(),
            limit: 50,
        }
    }

    #[test]
    fn a_page_is_served_for_its_own_viewer_filter_and_head_only() {
        let cache = InboxCache::default();
        let (ws, other_ws) = (WorkspaceId::new_random(), WorkspaceId::new_random());
        let (me, you) = (UserId::new_random(), UserId::new_random());
        cache.put(all(ws, me), 7, Instant::now(), page("searched"));
        assert!(cache.get(&all(ws, me), 7).unwrap().searched);
        assert!(cache.get(&all(ws, me), 8).is_none(), "the head moved");
        assert!(cache.get(&all(ws, you), 7).is_none(), "another viewer");
        assert!(cache.get(&all(other_ws, me), 7).is_none());
        let unread = PageKey {
            filter: InboxFilter {
                unread_only: true,
                ..InboxFilter::default()
            },
            ..all(ws, me)
        };
        assert!(cache.get(&unread, 7).is_none(), "another filter");
        let shorter = PageKey {
            limit: 20,
            ..all(ws, me)
        };
        assert!(cache.get(&shorter, 7).is_none(), "another limit");
    }

    #[test]
    fn a_later_head_is_not_replaced_by_an_earlier_one() {
        let cache = InboxCache::default();
        let key = all(WorkspaceId::new_random(), UserId::new_random());
        cache.put(key.clone(), 9, Instant::now(), page("searched"));
        cache.put(key.clone(), 8, Instant::now(), page("plain"));
        assert!(cache.get(&key, 9).unwrap().searched);
        cache.put(key.clone(), 10, Instant::now(), page("plain"));
        assert!(!cache.get(&key, 10).unwrap().searched);
        assert!(cache.get(&key, 9).is_none());
    }

    #[test]
    fn a_page_older_than_the_max_age_is_not_served() {
        let cache = InboxCache::default();
        let key = all(WorkspaceId::new_random(), UserId::new_random());
        cache.put(key.clone(), 3, Instant::now(), page("plain"));
        let soon = Instant::now() + MAX_AGE - Duration::from_secs(1);
        assert!(cache.get_at(soon, &key, 3).is_some());
        let later = Instant::now() + MAX_AGE + Duration::from_secs(1);
        assert!(cache.get_at(later, &key, 3).is_none());
    }

    #[test]
    fn a_full_cache_drops_expired_pages_before_used_ones() {
        let cache = InboxCache::default();
        let ws = WorkspaceId::new_random();
        let fresh: Vec<PageKey> = (0..MAX_ENTRIES - 1)
            .map(|_| all(ws, UserId::new_random()))
            .collect();
        for key in &fresh {
            cache.put(key.clone(), 1, Instant::now(), page("plain"));
        }
        // The most recently stored, but read longer ago than the max age.
        let long_ago = Instant::now()
            .checked_sub(MAX_AGE + Duration::from_secs(1))
            .unwrap();
        cache.put(all(ws, UserId::new_random()), 1, long_ago, page("plain"));
        cache.put(
            all(ws, UserId::new_random()),
            1,
            Instant::now(),
            page("plain"),
        );
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(fresh.iter().all(|key| cache.get(key, 1).is_some()));
    }

    #[test]
    fn a_full_cache_drops_the_least_recently_used_page() {
        let cache = InboxCache::default();
        let ws = WorkspaceId::new_random();
        let keys: Vec<PageKey> = (0..MAX_ENTRIES)
            .map(|_| all(ws, UserId::new_random()))
            .collect();
        for key in &keys {
            cache.put(key.clone(), 1, Instant::now(), page("plain"));
        }
        // The first viewer's page is used again, so the second's is now the oldest.
        assert!(cache.get(&keys[0], 1).is_some());
        cache.put(
            all(ws, UserId::new_random()),
            1,
            Instant::now(),
            page("plain"),
        );
        assert_eq!(cache.len(), MAX_ENTRIES);
        assert!(cache.get(&keys[0], 1).is_some());
        assert!(cache.get(&keys[1], 1).is_none());
    }
}
