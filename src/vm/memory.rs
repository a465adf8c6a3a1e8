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
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize) -> PyResult<()> {
    fallible(|| v.try_reserve(additional)).map_err(oom)
}

/// Makes room for `additional` more bytes in `s`, or raises `MemoryError` if the OS refuses.
pub fn try_reserve_str(s: &mut String, additional: usize) -> PyResult<()> {
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
    out.extend(std::iter::repeat_n(fill, left));
    for p in parts {
        out.push_str(p);
    }
    out.extend(std::iter::repeat_n(fill, right));
    Ok(out)
}

/// An empty vector with room for `n` items, or `MemoryError`.
pub fn vec_with_capacity<T>(n: usize) -> PyResult<Vec<T>> {
    let mut v = Vec::new();
    try_reserve(&mut v, n)?;
    Ok(v)
}

/// An empty string with room for `n` bytes, or `MemoryError`.
pub fn string_with_capacity(n: usize) -> PyResult<String> {
    let mut s = String::new();
    try_reserve_str(&mut s, n)?;
    Ok(s)
}

fn oom(_: TryReserveError) -> Throw {
    Throw::memory()
}

/// The system allocator, ending the process with status 5 and a message (never a signal) when
/// an allocation is refused outside [`try_reserve`]. Installed by `main.rs`.
pub struct OomGuard;

// SAFETY: every method forwards to `System` with the same arguments and returns its result;
// the only addition is what happens when `System` returns null.
unsafe impl GlobalAlloc for OomGuard {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            refused(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            refused(new_size);
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
}
