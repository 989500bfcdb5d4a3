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

/// The allocator kbdiag's binary (and its benchmark) installs: mimalloc, or the system's with the
/// `system-alloc` feature, counted.
#[cfg(not(feature = "system-alloc"))]
pub type Allocator = Counting<mimalloc::MiMalloc>;
#[cfg(not(feature = "system-alloc"))]
pub const ALLOCATOR: Allocator = Counting(mimalloc::MiMalloc);
#[cfg(feature = "system-alloc")]
pub type Allocator = Counting<std::alloc::System>;
#[cfg(feature = "system-alloc")]
pub const ALLOCATOR: Allocator = Counting(std::alloc::System);
