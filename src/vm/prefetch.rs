//! Software prefetch: a hint to the CPU to start loading a cache line now.

/// Asks the CPU to bring the cache line holding `p` into the cache. A hint only: it never
/// faults, whatever `p` is, and is a no-op on targets without a stable prefetch intrinsic.
#[inline(always)]
pub fn line<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 has no architectural effect; any address is allowed, even invalid.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
