//! The contents of a `str` object: its own `String`, or a prefix of a buffer that grows at its
//! end — how `s += x` in a loop stays linear (issue 21).
//!
//! CPython appends in place when the string being extended has no other reference (its
//! `unicode_concatenate` for `s = s + x` / `s += x` on a local or global). gilvm's values are
//! copied freely and the heap is collected by tracing, so it cannot know that no other value
//! refers to a string. It does not need to: a string that is the prefix of a growable buffer
//! ([`PyStr::View`]) only ever reads its first `len` bytes, so appending past them changes no
//! other string. `a + b` appends `b` to `a`'s buffer when `a` *owns the end* of it (its `len`
//! is the buffer's length: nothing was appended after it yet) and returns a new view, one
//! byte longer; otherwise it copies, as before. The first concatenation whose result reaches
//! [`GROW_FROM`] bytes copies into a new buffer, and the buffer's own doubling makes a loop of
//! appends linear. Every other string keeps its own `String`.
//!
//! Soundness of the shared buffer: it is only written by [`PyStr::append_in_place`], which
//! the VM calls with `&mut` access to the runtime, so no `&str` borrowed from any heap
//! string (which borrows the heap) is alive then; and a write only appends, beyond the `len`
//! of every view of the buffer but the one appended to.

use std::cell::UnsafeCell;
use std::rc::Rc;

/// A concatenation whose result has at least this many bytes makes a growable buffer (below,
/// copying is as cheap as the buffer's bookkeeping).
pub const GROW_FROM: usize = 64;

/// A growable string buffer shared by the views that are its prefixes.
#[derive(Debug, Default)]
pub struct StrBuf(UnsafeCell<String>);

impl StrBuf {
    fn get(&self) -> &String {
        // SAFETY: the buffer is mutated only by `PyStr::append_in_place`, whose caller holds
        // exclusive access to the heap and uses no `&str` into the buffer afterwards.
        unsafe { &*self.0.get() }
    }
}

/// A `str` object's contents (see the module comment), with whether they are ASCII: known
/// when the string is made, so that `len(s)`, `s[i]` and `s[i:j]` on an ASCII string are O(1)
/// in its length, as on CPython, instead of scanning it each time.
#[derive(Debug)]
pub enum PyStr {
    Own(String, bool),
    /// The first `len` bytes of a shared buffer (always a char boundary: only whole strings
    /// are ever appended), and whether they are ASCII.
    View(Rc<StrBuf>, usize, bool),
}

impl PyStr {
    pub fn as_str(&self) -> &str {
        match self {
            PyStr::Own(s, _) => s,
            PyStr::View(b, len, _) => b.get().get(..*len).unwrap_or_default(),
        }
    }

    /// Whether the string is ASCII (remembered, not scanned; `str::is_ascii` through `Deref`
    /// scans).
    pub fn is_ascii(&self) -> bool {
        match self {
            PyStr::Own(_, a) | PyStr::View(_, _, a) => *a,
        }
    }

    /// The length in characters, Python's `len`.
    pub fn char_len(&self) -> usize {
        if self.is_ascii() {
            self.len()
        } else {
            self.chars().count()
        }
    }

    /// Bytes to charge against the heap limit: its own capacity, or for a view, its length,
    /// plus the buffer's spare room for the view that owns its end (the one that can grow it).
    pub fn bytes(&self) -> usize {
        match self {
            PyStr::Own(s, _) => s.capacity(),
            PyStr::View(b, len, _) => {
                let s = b.get();
                if *len == s.len() {
                    s.capacity()
                } else {
                    *len
                }
            }
        }
    }

    /// Whether `a + b` can append `extra` to this string's buffer: it is a view that owns the
    /// end of its buffer, and `extra` (a pointer into some string) is not inside that buffer.
    pub fn can_append(&self, extra: &str) -> bool {
        match self {
            PyStr::Own(..) => false,
            PyStr::View(b, len, _) => {
                let s = b.get();
                let range = s.as_ptr() as usize..s.as_ptr() as usize + s.capacity().max(1);
                *len == s.len() && !range.contains(&(extra.as_ptr() as usize))
            }
        }
    }

    /// Appends `extra` to this view's buffer and returns the longer view and the bytes the
    /// buffer's capacity grew by (to charge), or `None` if it cannot ([`PyStr::can_append`]
    /// false, or the allocation failed).
    ///
    /// The caller must hold exclusive access to the heap this string lives in (`&mut Rt`),
    /// so that no `&str` into the buffer is alive but those it made itself, and must not use
    /// any of those after this call (the buffer may move); `extra` itself is not in it.
    pub fn append_in_place(&self, extra: &str) -> Option<(PyStr, usize)> {
        if !self.can_append(extra) {
            return None;
        }
        self.append_checked(extra)
    }

    /// [`PyStr::append_in_place`] once [`PyStr::can_append`] said yes (the caller asked it
    /// first, to check the heap's room before growing): the same contract.
    pub fn append_checked(&self, extra: &str) -> Option<(PyStr, usize)> {
        let PyStr::View(b, len, ascii) = self else {
            return None;
        };
        // SAFETY: exclusive access to the heap (see above) and `extra` outside this buffer
        // (`can_append`, which the caller checked): growing the buffer cannot move bytes that
        // are still read.
        let s = unsafe { &mut *b.0.get() };
        let before = s.capacity();
        s.try_reserve(extra.len()).ok()?;
        if let [byte] = extra.as_bytes() {
            // `s += "x"`: one byte (ASCII, as a one-byte str must be) without a `memcpy` call.
            // SAFETY: an ASCII byte appended to UTF-8 leaves it UTF-8.
            unsafe { s.as_mut_vec().push(*byte) };
        } else {
            s.push_str(extra);
        }
        let grown = s.capacity() - before;
        let ascii = *ascii && extra.is_ascii();
        Some((PyStr::View(b.clone(), *len + extra.len(), ascii), grown))
    }

    /// `a + b` as a new growable buffer (exactly the size of the result; it doubles when
    /// appended to).
    pub fn concat_growable(a: &PyStr, b: &PyStr) -> Option<PyStr> {
        let mut s = String::new();
        s.try_reserve_exact(a.len().checked_add(b.len())?).ok()?;
        s.push_str(a);
        s.push_str(b);
        let len = s.len();
        let ascii = a.is_ascii() && b.is_ascii();
        Some(PyStr::View(Rc::new(StrBuf(UnsafeCell::new(s))), len, ascii))
    }
}

impl std::ops::Deref for PyStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for PyStr {
    fn from(s: String) -> PyStr {
        let ascii = s.is_ascii();
        PyStr::Own(s, ascii)
    }
}

impl From<&str> for PyStr {
    fn from(s: &str) -> PyStr {
        PyStr::from(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_keep_their_prefix_while_the_buffer_grows() {
        let a = PyStr::concat_growable(&"a".repeat(40).into(), &"b".repeat(30).into()).unwrap();
        let (b, _) = a.append_in_place("c").unwrap();
        // `a` no longer owns the end: appending to it must copy.
        assert!(!a.can_append("d"));
        assert!(a.append_in_place("d").is_none());
        let (c, _) = b.append_in_place("é").unwrap();
        assert!(a.is_ascii() && b.is_ascii() && !c.is_ascii());
        assert_eq!((b.char_len(), c.char_len()), (71, 72));
        assert_eq!(a.len(), 70);
        assert_eq!(&b[68..], "bbc");
        assert_eq!(&c[68..], "bbcé");
        assert!(!PyStr::from("own").can_append("x"));
    }

    #[test]
    fn a_view_never_appends_its_own_buffer_to_itself() {
        let a = PyStr::concat_growable(&"a".repeat(40).into(), &"b".repeat(30).into()).unwrap();
        let PyStr::View(buf, _, _) = &a else {
            panic!("a growable concatenation is a view")
        };
        let inner: &str = &buf.get()[..10];
        assert!(!a.can_append(inner));
    }
}
