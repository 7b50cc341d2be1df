//! The working memory of one password-hashing thread (argon2id's 19 MiB), mapped straight from
//! the operating system and unmapped when the pool goes idle.
//!
//! Why not a `Vec`: through the allocator a freed buffer stays resident. mimalloc keeps freed
//! pages in its arena for reuse, and neither dropping the buffer nor `mi_collect(true)` gave
//! them back (measured: +21 MiB RSS after one sign-up, either way), so a server that had signed
//! one person in kept slots × 19 MiB for good — on a two-core server about what the 5,000 idle
//! sockets of the P5 benchmark cost together. A mapping of our own is returned by `munmap` at
//! once. The price is the first hash after an idle spell touching fresh zero pages (see
//! `map_zeroed`).
use argon2::Block;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How much hashing memory a pool holds, and how often it mapped some (shared by its threads).
#[derive(Debug, Default)]
pub struct Gauge {
    held: AtomicUsize,
    maps: AtomicUsize,
}

impl Gauge {
    /// Bytes mapped right now.
    pub fn held_bytes(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Mappings made so far (a burst of hashes reuses one per thread).
    pub fn maps(&self) -> usize {
        self.maps.load(Ordering::Relaxed)
    }
}

/// One thread's blocks: none until the first hash, then kept until [`HashMemory::release`].
pub struct HashMemory {
    /// The mapping and its length in blocks.
    map: Option<(NonNull<Block>, usize)>,
    gauge: Arc<Gauge>,
}

// SAFETY: the mapping belongs to this value alone (nothing else holds its address), so moving
// the value to another thread moves sole ownership with it.
unsafe impl Send for HashMemory {}

impl HashMemory {
    pub fn new(gauge: Arc<Gauge>) -> Self {
        HashMemory { map: None, gauge }
    }

    /// `count` blocks to hash with, mapping them first when needed. `None`: the system refused
    /// the memory (the hash fails; the caller answers with an error, as for any failed hash).
    pub fn blocks(&mut self, count: usize) -> Option<&mut [Block]> {
        if self.map.is_some_and(|(_, mapped)| mapped < count) {
            self.release();
        }
        if count == 0 {
            return Some(&mut []);
        }
        let (start, _) = match self.map {
            Some(map) => map,
            None => {
                let map = (map_zeroed(count)?, count);
                self.gauge
                    .held
                    .fetch_add(count * Block::SIZE, Ordering::Relaxed);
                self.gauge.maps.fetch_add(1, Ordering::Relaxed);
                *self.map.insert(map)
            }
        };
        // SAFETY: `start` is a live, page-aligned (so Block-aligned) mapping of at least `count`
        // blocks that only this value can reach, and the slice borrows `self` mutably, so it
        // cannot outlive an unmap. Its bytes are valid blocks: the system maps zeros (a block
        // is 128 plain u64s, no padding: Block::default() is all zeros too) and after that only
        // argon2 writes them, as blocks.
        Some(unsafe { std::slice::from_raw_parts_mut(start.as_ptr(), count) })
    }

    /// Gives the memory back to the system; the next [`HashMemory::blocks`] maps it again.
    pub fn release(&mut self) {
        if let Some((start, count)) = self.map.take() {
            // SAFETY: exactly the range `map_zeroed` mapped; no slice of it is alive, since
            // `blocks` lends it only for as long as `self` is borrowed.
            let failed = unsafe { libc::munmap(start.as_ptr().cast(), count * Block::SIZE) } != 0;
            if failed {
                // Only possible for a range we did not map; the memory is not ours to reuse.
                tracing::error!(error = %std::io::Error::last_os_error(), "unmapping hash memory");
            }
            self.gauge
                .held
                .fetch_sub(count * Block::SIZE, Ordering::Relaxed);
        }
    }
}

impl Drop for HashMemory {
    fn drop(&mut self) {
        self.release();
    }
}

/// A fresh private anonymous mapping of `count` (> 0) blocks, zero-filled by the system.
fn map_zeroed(count: usize) -> Option<NonNull<Block>> {
    let len = count.checked_mul(Block::SIZE)?;
    // SAFETY: a new anonymous mapping at an address the system picks touches no existing memory.
    let start = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if start == libc::MAP_FAILED {
        tracing::error!(error = %std::io::Error::last_os_error(), len, "mapping hash memory");
        return None;
    }
    // Huge pages where the system offers them (transparent huge pages in `always` or `madvise`
    // mode): the first hash after an idle spell then takes about ten 2 MiB page faults instead
    // of 4,864 small ones. Measured on the 2-core test machine, sign-ins one after another:
    // 15 ms each, against 14 ms with a kept buffer and 21 ms with small pages. Only advice:
    // where refused, small pages serve the same.
    // SAFETY: advice on the range just mapped; it changes no contents.
    unsafe { libc::madvise(start, len, libc::MADV_HUGEPAGE) };
    NonNull::new(start.cast())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_zero(block: &Block) -> bool {
        block.as_ref().iter().all(|word| *word == 0)
    }

    #[test]
    fn blocks_start_zeroed_stay_mapped_until_released_and_are_counted() {
        let gauge = Arc::new(Gauge::default());
        let mut memory = HashMemory::new(gauge.clone());
        let blocks = memory.blocks(64).unwrap();
        assert_eq!(blocks.len(), 64);
        assert!(blocks.iter().all(is_zero));
        blocks[63] = Block::new();
        blocks[63].as_mut()[127] = 7;
        assert_eq!(gauge.held_bytes(), 64 * 1024);
        // Asking again (or for fewer) reuses the same mapping and what was written there.
        assert_eq!(memory.blocks(64).unwrap()[63].as_ref()[127], 7);
        assert_eq!(memory.blocks(8).unwrap().len(), 8);
        assert_eq!(gauge.maps(), 1);
        // More than is mapped: a larger mapping replaces it.
        assert_eq!(memory.blocks(128).unwrap().len(), 128);
        assert_eq!((gauge.maps(), gauge.held_bytes()), (2, 128 * 1024));
        memory.release();
        assert_eq!(gauge.held_bytes(), 0);
        // Mapped again after a release: fresh zeros.
        assert!(memory.blocks(128).unwrap().iter().all(is_zero));
        drop(memory);
        assert_eq!((gauge.maps(), gauge.held_bytes()), (3, 0));
    }
}
