//! A ChaCha8 stream that can look several words ahead without using them up (issue 21,
//! threads stay cheap): the seeded strategy peeks the picks of the next few turns so the
//! driver can load those threads' state into the cache turns before they run
//! (`vm/thread_cheap.rs`). Looking ahead changes nothing: the stream yields the same words in
//! the same order, buffered or not.

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use crate::vm::rng::Words;

/// Words a [`Lookahead`] can hold: the next four turns' picks and quanta.
pub const AHEAD_WORDS: usize = 8;

pub struct Lookahead {
    rng: ChaCha8Rng,
    buf: [u64; AHEAD_WORDS],
    /// Index in `buf` of the next word to yield.
    head: u8,
    /// Words buffered.
    len: u8,
}

impl Lookahead {
    pub fn new(rng: ChaCha8Rng) -> Lookahead {
        Lookahead {
            rng,
            buf: [0; AHEAD_WORDS],
            head: 0,
            len: 0,
        }
    }

    /// The word `k` draws from now (0 = the next one), left in place; `None` past
    /// [`AHEAD_WORDS`].
    pub fn peek(&mut self, k: usize) -> Option<u64> {
        if k >= AHEAD_WORDS {
            return None;
        }
        while (self.len as usize) <= k {
            let at = (self.head as usize + self.len as usize) % AHEAD_WORDS;
            self.buf[at] = self.rng.next_u64();
            self.len += 1;
        }
        Some(self.buf[(self.head as usize + k) % AHEAD_WORDS])
    }
}

impl Words for Lookahead {
    #[inline(always)]
    fn word(&mut self) -> u64 {
        if self.len == 0 {
            return self.rng.next_u64();
        }
        let w = self.buf[self.head as usize];
        self.head = ((self.head as usize + 1) % AHEAD_WORDS) as u8;
        self.len -= 1;
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::rng::{self, Stream};

    #[test]
    fn peeking_changes_no_word() {
        let mut plain = rng::stream(5, Stream::Schedule);
        let mut ahead = Lookahead::new(rng::stream(5, Stream::Schedule));
        for i in 0..5_000usize {
            let k = i % (AHEAD_WORDS + 2);
            let p = ahead.peek(k);
            assert_eq!(ahead.peek(k), p, "peeking twice draws nothing");
            if k < AHEAD_WORDS {
                let mut copy = ahead.rng.clone();
                // The k-th word ahead is the one the stream yields after k others.
                let buffered = ahead.len as usize;
                let expect = if k < buffered {
                    ahead.buf[(ahead.head as usize + k) % AHEAD_WORDS]
                } else {
                    (0..k - buffered).for_each(|_| {
                        copy.next_u64();
                    });
                    copy.next_u64()
                };
                assert_eq!(p, Some(expect));
            } else {
                assert_eq!(p, None);
            }
            assert_eq!(ahead.word(), plain.next_u64());
        }
    }
}
