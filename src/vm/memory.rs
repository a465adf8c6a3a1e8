//! The last line of defence against running out of memory, and fallible reservation.
//!
//! The heap limit (`Heap`, `--max-memory`) turns a program that grows too big into Python's
//! `MemoryError` *before* the allocation. Two things remain: a Rust allocation whose size the
//! program controls must not abort the process when the OS refuses it (under `prlimit --as`,
//! say) — [`try_reserve`] and [`try_reserve_str`] turn that refusal into `MemoryError` — and any
//! other allocation the OS refuses must end gilvm cleanly, never with a signal. [`OomGuard`],
//! the binary's global allocator, does the latter: it is the system allocator, except that a
//! refused allocation outside [`try_reserve`] prints `gilvm: MemoryError: …` and exits with
//! status 5 (a resource limit) instead of letting Rust abort (SIGABRT). It costs one
//! comparison per allocation, and the interpreter's hot path does not allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::TryReserveError;

use crate::vm::{PyResult, Throw};

/// Exit status when the OS refuses memory gilvm cannot turn into `MemoryError`: a resource
/// limit ended the run.
const EXIT_OUT_OF_MEMORY: i32 = crate::vm::driver::EXIT_LIMIT;

thread_local! {
    /// Set while a fallible reservation runs on this thread: a refusal then returns an error
    /// to the caller instead of ending the process.
    static FALLIBLE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with allocation failures reported to it (as `try_reserve`'s error) rather than
/// ending the process.
fn fallible<T>(f: impl FnOnce() -> T) -> T {
    let was = FALLIBLE.with(|c| c.replace(true));
    let out = f();
    FALLIBLE.with(|c| c.set(was));
    out
}

/// Makes room for `additional` more items in `v`, or raises `MemoryError` if the OS refuses.
#[inline]
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize) -> PyResult<()> {
    // Room already: nothing to allocate, no flag to set (two thread-local accesses and the
    // general growth path were ≈100 x86 instructions of a short `str.format`).
    if v.capacity() - v.len() >= additional {
        return Ok(());
    }
    fallible(|| v.try_reserve(additional)).map_err(oom)
}

/// Makes room for `additional` more bytes in `s`, or raises `MemoryError` if the OS refuses.
#[inline]
pub fn try_reserve_str(s: &mut String, additional: usize) -> PyResult<()> {
    if s.capacity() - s.len() >= additional {
        return Ok(());
    }
    fallible(|| s.try_reserve(additional)).map_err(oom)
}

/// Makes room for exactly `additional` more items in `v`, or raises `MemoryError`.
pub fn try_reserve_exact<T>(v: &mut Vec<T>, additional: usize) -> PyResult<()> {
    fallible(|| v.try_reserve_exact(additional)).map_err(oom)
}

/// `items` repeated `n` times, in one fallible allocation (`[0] * n`, `'ab' * n`), copied by
/// doubling so a long result costs a few large copies.
pub fn repeat_slice<T: Copy>(items: &[T], n: usize) -> PyResult<Vec<T>> {
    let total = items.len().checked_mul(n).ok_or_else(Throw::memory)?;
    let mut v = vec_with_capacity(total)?;
    if total == 0 {
        return Ok(v);
    }
    v.extend_from_slice(items);
    while v.len() < total {
        let k = v.len().min(total - v.len());
        v.extend_from_within(..k);
    }
    Ok(v)
}

/// `s` repeated `n` times, in one fallible allocation.
pub fn repeat_str(s: &str, n: usize) -> PyResult<String> {
    let bytes = repeat_slice(s.as_bytes(), n)?;
    // Whole copies of valid UTF-8 are valid UTF-8; the lossy path is never taken.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// `left` copies of `fill`, then `parts`, then `right` copies of `fill`: a padded field built
/// in one fallible allocation (`f"{x:>1000000}"`, `s.center(n)`).
pub fn padded(fill: char, left: usize, parts: &[&str], right: usize) -> PyResult<String> {
    let body: usize = parts.iter().map(|p| p.len()).sum();
    let total = left
        .checked_add(right)
        .and_then(|n| n.checked_mul(fill.len_utf8()))
        .and_then(|n| n.checked_add(body))
        .ok_or_else(Throw::memory)?;
    let mut out = string_with_capacity(total)?;
    fill_with(&mut out, fill, left);
    for p in parts {
        out.push_str(p);
    }
    fill_with(&mut out, fill, right);
    Ok(out)
}

/// `n` copies of `fill` pushed onto `out`: an ASCII fill (the space of every padded field)
/// as one run of bytes, not character by character (≈8 x86 instructions a character).
fn fill_with(out: &mut String, fill: char, n: usize) {
    if fill.is_ascii() {
        // SAFETY: `n` copies of an ASCII byte keep the string valid UTF-8.
        let v = unsafe { out.as_mut_vec() };
        v.resize(v.len() + n, fill as u8);
    } else {
        out.extend(std::iter::repeat_n(fill, n));
    }
}

// fmt: `format!("{a}{b}")` without `core::fmt`.
/// `a` then `b` in a new string, grown from empty as `format!("{a}{b}")` grows it (its
/// estimate of two bare arguments is zero; each `str` argument is one `push_str`), so the
/// same capacity and with it the same heap charge, without the formatting machinery.
pub fn cat(a: &str, b: &str) -> String {
    // The capacity the two pushes reach (`RawVec`'s growth: at least 8, at least double),
    // allocated once.
    let mut cap = if a.is_empty() { 0 } else { a.len().max(8) };
    let n = a.len() + b.len();
    if n > cap {
        cap = n.max(cap * 2).max(8);
    }
    let mut s = String::with_capacity(cap);
    s.push_str(a);
    s.push_str(b);
    s
}

/// An empty vector with room for `n` items, or `MemoryError`.
pub fn vec_with_capacity<T>(n: usize) -> PyResult<Vec<T>> {
    let mut v = Vec::new();
    try_reserve(&mut v, n)?;
    Ok(v)
}

/// An empty string with room for `n` bytes, or `MemoryError`.
pub fn string_with_capacity(n: usize) -> PyResult<String> {
    // A block the pool hands out (`SMALL_MAX`) directly: `try_reserve`'s general growth
    // path and the fallible flag cost ≈100 x86 instructions, as much as the block itself,
    // and only a request the system can refuse needs them (a refused pool refill ends the
    // process with its message, as any allocation outside `try_reserve`).
    if n <= SMALL_MAX {
        return Ok(String::with_capacity(n));
    }
    let mut s = String::new();
    try_reserve_str(&mut s, n)?;
    Ok(s)
}

fn oom(_: TryReserveError) -> Throw {
    Throw::memory()
}

/// The system allocator, ending the process with status 5 and a message (never a signal) when
/// an allocation is refused outside [`try_reserve`], with a per-thread pool of small blocks in
/// front of it. Installed by `main.rs`.
///
/// The pool (issue 21, str3): blocks of up to [`SMALL_MAX`] bytes (and at most 16-byte
/// alignment, which glibc's `malloc` gives every block) are taken from the system rounded up
/// to the next of 24, 40, 56, …, 120 bytes — the largest request each of glibc's chunk sizes
/// (32, 48, 64, … bytes) holds, so a block takes the memory it took before — and a freed one goes onto a free list of its size class (kept inside
/// the freed blocks themselves) for the next allocation of that class, up to
/// [`POOL_BYTES`] per class and thread; past that it goes back to the system. The
/// interpreter's short-lived objects — the short strs of string building, the boxes of
/// exceptions and generators, small lists — are freed by the collector by the thousand and
/// made again at once; glibc's own per-thread cache holds seven blocks per size, so each of
/// those went through `_int_malloc`/`_int_free` and their consolidation instead (≈15% of
/// l/strings' instructions, callgrind). Nothing the program sees changes: a `Vec`'s or
/// `String`'s capacity is what it asked for, not the block's size.
pub struct OomGuard;

/// The largest block the pool keeps.
pub const SMALL_MAX: usize = 120;
/// Bytes of free blocks each size class keeps per thread before returning them to the system.
pub const POOL_BYTES: usize = 4 << 20;
const CLASSES: usize = 7;

/// One thread's free lists: the head of each class's list (the first word of a free block is
/// the next one) and how many blocks it holds.
struct Pool {
    heads: [Cell<*mut u8>; CLASSES],
    counts: [Cell<u32>; CLASSES],
}

thread_local! {
    static POOL: Pool = const {
        Pool {
            heads: [const { Cell::new(std::ptr::null_mut()) }; CLASSES],
            counts: [const { Cell::new(0) }; CLASSES],
        }
    };
}

/// The size class of a block of `layout`, if the pool takes it.
#[inline(always)]
fn small_class(layout: &Layout) -> Option<usize> {
    let n = layout.size();
    (n <= SMALL_MAX && layout.align() <= 16 && n > 0).then(|| (n.max(9) + 7) / 16 - 1)
}

/// The bytes of a block of class `c`: 24, 40, …, 120.
#[inline(always)]
fn class_size(c: usize) -> usize {
    16 * c + 24
}

/// The layout the system allocates a block of class `c` with.
#[inline(always)]
fn class_layout(c: usize) -> Layout {
    // SAFETY: a size of at least 24 and at most `SMALL_MAX`, with an alignment of 16.
    unsafe { Layout::from_size_align_unchecked(class_size(c), 16) }
}

impl OomGuard {
    #[inline(always)]
    unsafe fn alloc_small(c: usize) -> *mut u8 {
        let p = POOL
            .try_with(|pool| {
                let head = pool.heads[c].get();
                if !head.is_null() {
                    // SAFETY: a block on the list holds the next block's address first.
                    pool.heads[c].set(unsafe { *(head as *mut *mut u8) });
                    pool.counts[c].set(pool.counts[c].get() - 1);
                }
                head
            })
            .unwrap_or(std::ptr::null_mut());
        if !p.is_null() {
            return p;
        }
        let p = System.alloc(class_layout(c));
        if p.is_null() {
            refused(class_layout(c).size());
        }
        p
    }

    #[inline(always)]
    unsafe fn dealloc_small(ptr: *mut u8, c: usize) {
        let kept = POOL
            .try_with(|pool| {
                let n = pool.counts[c].get();
                if (n as usize) < POOL_BYTES / class_size(c) {
                    // SAFETY: the block is at least 24 bytes and 16-aligned, and now ours.
                    unsafe { *(ptr as *mut *mut u8) = pool.heads[c].get() };
                    pool.heads[c].set(ptr);
                    pool.counts[c].set(n + 1);
                    true
                } else {
                    false
                }
            })
            .unwrap_or(false);
        if !kept {
            System.dealloc(ptr, class_layout(c));
        }
    }
}

// SAFETY: a block of at most `SMALL_MAX` bytes (alignment at most 16) is always a block of
// the system's of its class's rounded size, 16-aligned, handed out once until freed; every
// other block is the system's, allocated, resized and freed with the caller's arguments.
// A resize between the two kinds copies. A refusal by `System` ends the run as before.
unsafe impl GlobalAlloc for OomGuard {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(c) = small_class(&layout) {
            return Self::alloc_small(c);
        }
        let p = System.alloc(layout);
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if let Some(c) = small_class(&layout) {
            let p = Self::alloc_small(c);
            if !p.is_null() {
                std::ptr::write_bytes(p, 0, layout.size());
            }
            return p;
        }
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(c) = small_class(&layout) {
            return Self::dealloc_small(ptr, c);
        }
        System.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY (of the layout): `GlobalAlloc::realloc`'s contract makes `new_size`, rounded
        // to `layout.align()`, a valid size.
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let old = small_class(&layout);
        let new = small_class(&new_layout);
        if old.is_none() && new.is_none() {
            let p = System.realloc(ptr, layout, new_size);
            if p.is_null() {
                refused(new_size);
            }
            return p;
        }
        if old.is_some() && old == new {
            return ptr;
        }
        let p = self.alloc(new_layout);
        if !p.is_null() {
            std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        p
    }
}

/// An allocation of `size` bytes was refused: returns (so the caller gets null) inside a
/// fallible reservation, else says so and exits with status 5. Writes without allocating.
#[cold]
#[inline(never)]
fn refused(size: usize) {
    if FALLIBLE.try_with(|c| c.get()).unwrap_or(false) {
        return;
    }
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "gilvm: MemoryError: the system refused {size} bytes of memory outside the heap limit; \
         the run stops (exit status 5). Lower --max-memory or raise the address-space limit."
    );
    std::process::exit(EXIT_OUT_OF_MEMORY);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cat` is `format!("{a}{b}")`, to the capacity.
    #[test]
    fn cat_is_format_to_the_capacity() {
        let text = "-0123456789abcdefghijklmnopqrstuvwxyzé✓0123456789";
        for i in 0..text.len() {
            for j in 0..text.len() {
                let (Some(a), Some(b)) = (text.get(..i), text.get(j..)) else {
                    continue;
                };
                let (fast, slow) = (cat(a, b), format!("{a}{b}"));
                assert_eq!(fast, slow);
                assert_eq!(fast.capacity(), slow.capacity(), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn an_impossible_reservation_is_a_memory_error() {
        let mut v: Vec<u64> = vec![1];
        assert_eq!(try_reserve(&mut v, usize::MAX / 4), Err(Throw::memory()));
        let mut s = String::from("x");
        assert_eq!(
            try_reserve_str(&mut s, usize::MAX - 8),
            Err(Throw::memory())
        );
        assert!(vec_with_capacity::<u8>(16).is_ok());
        assert!(string_with_capacity(16).is_ok());
        assert_eq!(repeat_slice(&[1, 2], 3), Ok(vec![1, 2, 1, 2, 1, 2]));
        assert_eq!(repeat_slice(&[1, 2], usize::MAX), Err(Throw::memory()));
        assert_eq!(repeat_str("né", 3).as_deref(), Ok("nénéné"));
        assert_eq!(repeat_str("", 5).as_deref(), Ok(""));
        assert_eq!(padded('*', 2, &["-", "4"], 1).as_deref(), Ok("**-4*"));
        assert_eq!(padded('é', usize::MAX, &[], 1), Err(Throw::memory()));
        assert!(!FALLIBLE.with(|c| c.get()));
    }

    #[test]
    fn the_small_block_pool_reuses_blocks_and_moves_between_kinds() {
        let a = OomGuard;
        unsafe {
            // A freed small block is the next one of its class.
            let l20 = Layout::from_size_align(20, 1).unwrap();
            let p = a.alloc(l20);
            a.dealloc(p, l20);
            let l24 = Layout::from_size_align(24, 8).unwrap();
            let q = a.alloc(l24);
            assert_eq!(p, q);
            // Within its class a resize keeps the block; across classes and kinds it copies.
            for i in 0..24 {
                *q.add(i) = i as u8;
            }
            assert_eq!(a.realloc(q, l24, 10), q);
            let r = a.realloc(q, Layout::from_size_align(10, 8).unwrap(), 100);
            let s = a.realloc(r, Layout::from_size_align(100, 8).unwrap(), 5000);
            let t = a.realloc(s, Layout::from_size_align(5000, 8).unwrap(), 9);
            for i in 0..9 {
                assert_eq!(*t.add(i), i as u8);
            }
            a.dealloc(t, Layout::from_size_align(9, 8).unwrap());
            // Zeroed, over a block that held data; more than 16-byte alignment is the
            // system's.
            let l = Layout::from_size_align(64, 16).unwrap();
            let z = a.alloc(l);
            std::ptr::write_bytes(z, 0xff, 64);
            a.dealloc(z, l);
            let z = a.alloc_zeroed(l);
            assert!((0..64).all(|i| *z.add(i) == 0));
            a.dealloc(z, l);
            let big = Layout::from_size_align(64, 64).unwrap();
            let b = a.alloc(big);
            assert_eq!(b as usize % 64, 0);
            a.dealloc(b, big);
        }
    }
}
