//! CPython's random number generator: the Mersenne Twister MT19937 (`rand_mt`, whose
//! `new_with_key` is the reference `init_by_array` that CPython's `_randommodule.c` seeds with),
//! and the draws of CPython 3.11's `Lib/random.py` built on it (`random()`, `getrandbits`,
//! `_randbelow`), so a seeded program draws CPython's exact numbers.
//!
//! Seeding as CPython's `random.seed(a)` (version 2): an int seeds with the 32-bit words of
//! `abs(a)`, least significant first; a str or bytes `a` becomes the int
//! `int.from_bytes(a + sha512(a).digest(), 'big')` first. Without `random.seed`, gilvm seeds the
//! module's generator as `random.seed(N)` would for the run's seed `N` (`--seed`), so a run is
//! reproducible and `random.seed(N)` in CPython reproduces its numbers.

use num_bigint::{BigInt, BigUint};
use num_traits::ToPrimitive;
use rand_mt::Mt;
use sha2::{Digest, Sha512};

/// Heap bytes one generator holds (MT19937's 624 words and the index).
pub const BYTES: usize = 624 * 4 + 16;

/// One generator: the module's, or a `random.Random` instance's.
///
/// Seeded lazily: the key is kept and the twister's 624 words are only built at the first
/// draw. A run that never draws (most programs, and nearly every execution of `gilvm explore`,
/// which builds a fresh VM per execution) never pays the seeding (about 2,500 instructions and
/// the 2.5 KB state).
pub struct PyRandom {
    mt: Option<Box<Mt>>,
    /// The seed's 32-bit words, least significant first, until the first draw.
    key: Vec<u32>,
    /// `gauss()`'s second value of a pair, as CPython's `Random.gauss_next`.
    pub gauss_next: Option<f64>,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PyRandom")
    }
}

impl PyRandom {
    /// `random.seed(n)` for an int `n` (its absolute value, as CPython).
    pub fn from_int(n: &BigInt) -> PyRandom {
        let mut key = n.magnitude().to_u32_digits();
        if key.is_empty() {
            key.push(0);
        }
        PyRandom {
            mt: None,
            key,
            gauss_next: None,
        }
    }

    /// The run's default generator for a small seed, without allocating.
    fn from_u64(seed: u64) -> PyRandom {
        let key = if seed >> 32 == 0 {
            vec![seed as u32]
        } else {
            vec![seed as u32, (seed >> 32) as u32]
        };
        PyRandom {
            mt: None,
            key,
            gauss_next: None,
        }
    }

    /// The next 32 random bits (the twister seeded from the key at the first draw).
    #[inline]
    fn next_u32(&mut self) -> u32 {
        match &mut self.mt {
            Some(mt) => mt.next_u32(),
            None => {
                // A slice iterator: `new_with_key` clones the iterator once per word.
                let mt = self
                    .mt
                    .insert(Box::new(Mt::new_with_key(self.key.iter().copied())));
                mt.next_u32()
            }
        }
    }

    /// `random.seed(s)` for a str or bytes `s` (version 2 seeding).
    pub fn from_bytes(bytes: &[u8]) -> PyRandom {
        let mut all = bytes.to_vec();
        all.extend_from_slice(&Sha512::digest(bytes));
        PyRandom::from_int(&BigInt::from(BigUint::from_bytes_be(&all)))
    }

    /// The run's default generator: `random.seed(seed)`.
    pub fn from_run_seed(seed: u64) -> PyRandom {
        PyRandom::from_u64(seed)
    }

    /// `random.random()`: 53 random bits, as CPython's `random_random`.
    pub fn random(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (a as f64 * 67108864.0 + b as f64) * (1.0 / 9007199254740992.0)
    }

    /// `getrandbits(k)` for `k <= 64`.
    pub fn bits64(&mut self, k: u32) -> u64 {
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return (self.next_u32() >> (32 - k)) as u64;
        }
        let lo = self.next_u32() as u64;
        let hi = (self.next_u32() >> (64 - k)) as u64;
        lo | (hi << 32)
    }

    /// `getrandbits(k)`: words least significant first, the last one cut to the bits left.
    pub fn getrandbits(&mut self, k: u64) -> BigInt {
        if k <= 64 {
            return BigInt::from(self.bits64(k as u32));
        }
        let mut words = Vec::with_capacity(k.div_ceil(32) as usize);
        let mut left = k;
        while left > 0 {
            let mut r = self.next_u32();
            if left < 32 {
                r >>= 32 - left;
            }
            words.push(r);
            left = left.saturating_sub(32);
        }
        BigInt::from(BigUint::new(words))
    }

    /// `_randbelow(n)` for `0 < n < 2**64`, as CPython 3.11's `_randbelow_with_getrandbits`:
    /// draw `n.bit_length()` bits until the value is below `n`.
    pub fn below_u64(&mut self, n: u64) -> u64 {
        let k = 64 - n.leading_zeros();
        loop {
            let r = self.bits64(k);
            if r < n {
                return r;
            }
        }
    }

    /// `_randbelow(n)` for any `n > 0`.
    pub fn below(&mut self, n: &BigInt) -> BigInt {
        if let Some(small) = n.to_u64() {
            return BigInt::from(self.below_u64(small));
        }
        let k = n.bits();
        loop {
            let r = self.getrandbits(k);
            if &r < n {
                return r;
            }
        }
    }

    /// `gauss(mu, sigma)`, as CPython's (Box–Muller, keeping the second value).
    pub fn gauss(&mut self, mu: f64, sigma: f64) -> f64 {
        let z = match self.gauss_next.take() {
            Some(z) => z,
            None => {
                let x2pi = self.random() * std::f64::consts::TAU;
                let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
                self.gauss_next = Some(x2pi.sin() * g2rad);
                x2pi.cos() * g2rad
            }
        };
        mu + z * sigma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython_for_seed_42() {
        // python3 -c "import random; random.seed(42); print(random.random(), random.getrandbits(70))"
        let mut r = PyRandom::from_int(&BigInt::from(42));
        assert_eq!(r.random(), 0.6394267984578837);
    }

    #[test]
    fn run_seed_is_random_seed_of_the_int() {
        // python3 -c "import random; random.seed(2**40 + 7); print(random.random())"
        for seed in [0u64, 1, 42, (1 << 40) + 7, u64::MAX] {
            let mut a = PyRandom::from_run_seed(seed);
            let mut b = PyRandom::from_int(&BigInt::from(seed));
            for _ in 0..5 {
                assert_eq!(a.random().to_bits(), b.random().to_bits(), "seed {seed}");
            }
        }
        let mut r = PyRandom::from_run_seed((1 << 40) + 7);
        assert_eq!(r.random(), 0.6137037779936511);
    }
}
