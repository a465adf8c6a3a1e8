//! Seeded randomness with our own bounded sampling on `next_u32`/`next_u64`.
//!
//! `rand`'s range samplers changed between versions; a schedule must not change with a crate
//! upgrade, so every bounded draw in gilvm goes through these functions. The ChaCha8 word stream
//! itself is stable across rand_chacha versions.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// Independent streams derived from one run seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Preemption quanta and the choice of the next thread.
    Schedule = 0,
    /// Which waiter a primitive wakes.
    Wake = 1,
    /// The program's `random` module.
    Random = 2,
    /// Randomness that is not a choice: a lock waiter's simulated wake-up latency.
    Noise = 3,
}

/// A generator for one stream of a run seed.
pub fn stream(seed: u64, which: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(which as u64);
    rng
}

/// A source of 64-bit words: a ChaCha8 stream, or one that can look ahead ([`Draws`]).
pub trait Words {
    fn word(&mut self) -> u64;
}

impl Words for ChaCha8Rng {
    #[inline]
    fn word(&mut self) -> u64 {
        self.next_u64()
    }
}

/// A ChaCha8 stream that can look at its next word without using it up, so the scheduler can
/// tell which waiter a coming draw will wake and load that thread's state into the cache
/// ahead of time (`Scheduler::peek_choose`). Looking ahead changes nothing: the stream yields
/// the same words in the same order.
pub struct Draws {
    rng: ChaCha8Rng,
    ahead: Option<u64>,
}

impl Draws {
    pub fn new(rng: ChaCha8Rng) -> Draws {
        Draws { rng, ahead: None }
    }

    /// The next word, left in place for the next draw.
    #[inline]
    pub fn peek(&mut self) -> u64 {
        *self.ahead.get_or_insert_with(|| self.rng.next_u64())
    }
}

impl Words for Draws {
    #[inline]
    fn word(&mut self) -> u64 {
        match self.ahead.take() {
            Some(w) => w,
            None => self.rng.next_u64(),
        }
    }
}

/// A uniform integer in `0..n` (`n > 0`), unbiased (Lemire's multiply-and-reject).
pub fn below(rng: &mut impl Words, n: u64) -> u64 {
    debug_assert!(n > 0);
    let mut m = (rng.word() as u128) * (n as u128);
    // The rejection threshold `2^64 mod n` is below `n`, so a low word of at least `n` is
    // accepted without computing it: the 64-bit division (≈40 cycles, twice per thread
    // switch) is only paid in the rare case. Same draws, same results as always dividing.
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = (rng.word() as u128) * (n as u128);
        }
    }
    (m >> 64) as u64
}

/// What the next `below(rng, n)` will return when it takes a single word (all but a
/// fraction `n / 2^64` of draws), without drawing; `None` otherwise.
pub fn peek_below(rng: &mut Draws, n: u64) -> Option<u64> {
    let m = (rng.peek() as u128) * (n as u128);
    ((m as u64) >= n).then_some((m >> 64) as u64)
}

/// A uniform float in `[0, 1)` with 53 random bits, as Python's `random.random()`.
pub fn unit_f64(rng: &mut impl Words) -> f64 {
    (rng.word() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a: Vec<u64> = (0..4)
            .map(|_| below(&mut stream(7, Stream::Schedule), 100))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| below(&mut stream(7, Stream::Schedule), 100))
            .collect();
        assert_eq!(a, b);
        let mut s = stream(7, Stream::Schedule);
        let mut w = stream(7, Stream::Wake);
        assert_ne!(s.next_u64(), w.next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = stream(1, Stream::Random);
        for n in [1u64, 2, 3, 7, 100, u64::MAX] {
            for _ in 0..100 {
                assert!(below(&mut r, n) < n);
            }
        }
        let f = unit_f64(&mut r);
        assert!((0.0..1.0).contains(&f));
    }

    #[test]
    fn looking_ahead_changes_no_draw_and_predicts_it() {
        let mut plain = stream(5, Stream::Schedule);
        let mut ahead = Draws::new(stream(5, Stream::Schedule));
        for i in 0..5_000u64 {
            let n = 1 + i % 97;
            let guess = (i % 3 != 0).then(|| peek_below(&mut ahead, n));
            let got = below(&mut ahead, n);
            assert_eq!(got, below(&mut plain, n));
            if let Some(Some(g)) = guess {
                assert_eq!(g, got);
            }
        }
    }

    /// The reference: always compute the threshold. `below` must draw the same values.
    fn below_reference(rng: &mut ChaCha8Rng, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (rng.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    #[test]
    fn below_matches_the_always_dividing_reference() {
        for n in [
            1u64,
            2,
            3,
            5,
            100,
            199,
            1 << 63,
            (1 << 63) + 1,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let (mut a, mut b) = (stream(9, Stream::Schedule), stream(9, Stream::Schedule));
            for _ in 0..2_000 {
                assert_eq!(below(&mut a, n), below_reference(&mut b, n), "n = {n}");
            }
        }
    }
}
