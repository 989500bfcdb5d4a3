//! An allocator wrapper that counts the bytes each thread holds, so the sandbox can bound the
//! memory a rule's script values take on one host (`script.rs`). The binary installs it around
//! its allocator; where it is not installed (library users), the count stays 0 and only the
//! sandbox's other limits apply.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    // Bytes allocated minus bytes freed on this thread (frees of other threads' memory make it
    // smaller; only differences over one evaluation are used).
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

// In every allocation and free: as a call it was 3 % of a knowledge-base run's instructions.
#[inline(always)]
fn add(bytes: isize) {
    // During thread teardown the counter may be gone; counting stops there.
    let _ = LIVE.try_with(|live| live.set(live.get().wrapping_add(bytes)));
}

/// Bytes this thread holds, as counted since it started.
pub fn thread_live() -> isize {
    LIVE.try_with(Cell::get).unwrap_or(0)
}

/// `A`, counting each thread's allocations.
pub struct Counting<A>(pub A);

// SAFETY: every call is passed to `A` unchanged; only a thread-local counter is updated, which
// allocates nothing.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: the caller's contract is passed on.
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: the caller's contract is passed on.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: the caller's contract is passed on.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract is passed on.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

/// mimalloc, asked for plain blocks where they are aligned enough: every block of mimalloc's is
/// aligned to its word (8 bytes), and `mi_malloc` takes a shorter path than the
/// `mi_malloc_aligned` that the `mimalloc` crate calls for every allocation. Larger alignments
/// go to that crate.
#[cfg(not(feature = "system-alloc"))]
pub struct Mi;

#[cfg(not(feature = "system-alloc"))]
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: a block from `mi_malloc`/`mi_zalloc`/`mi_realloc` is aligned to `WORD`, which is all a
// layout of that alignment or less asks; the others are `MiMalloc`'s. `mi_free` frees either.
#[cfg(not(feature = "system-alloc"))]
unsafe impl GlobalAlloc for Mi {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: the size is the caller's, as `GlobalAlloc::alloc` has it.
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast() }
        } else {
            // SAFETY: the caller's contract is passed on.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from mimalloc, by one of the calls above.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: as in `alloc`.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast() }
        } else {
            // SAFETY: the caller's contract is passed on.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: `ptr` came from mimalloc; the new block keeps the word alignment.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            // SAFETY: the caller's contract is passed on.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

/// The allocator kbdiag's binary (and its benchmark) installs: mimalloc, or the system's with the
/// `system-alloc` feature, counted.
#[cfg(not(feature = "system-alloc"))]
pub type Allocator = Counting<Mi>;
#[cfg(not(feature = "system-alloc"))]
pub const ALLOCATOR: Allocator = Counting(Mi);
#[cfg(feature = "system-alloc")]
pub type Allocator = Counting<std::alloc::System>;
#[cfg(feature = "system-alloc")]
pub const ALLOCATOR: Allocator = Counting(std::alloc::System);
