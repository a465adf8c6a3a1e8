//! Python's built-in exception classes as a closed enum, with their hierarchy and names.
//!
//! Exception *instances* are heap objects ([`crate::vm::heap::ExcObj`]); this module only knows
//! the classes, so `except LookupError:` can match a `KeyError` without any lookup table.

macro_rules! exc_kinds {
    ($( $name:ident : $parent:ident = $text:literal ),* $(,)?) => {
        /// A built-in exception class.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ExcKind {
            $( $name, )*
        }

        impl ExcKind {
            pub const ALL: &'static [ExcKind] = &[ $( ExcKind::$name, )* ];

            /// The class name as Python prints it (`queue.Empty` prints as `_queue.Empty`).
            pub fn name(self) -> &'static str {
                match self { $( ExcKind::$name => $text, )* }
            }

            /// The direct base class (`BaseException` is its own parent).
            pub fn parent(self) -> ExcKind {
                match self { $( ExcKind::$name => ExcKind::$parent, )* }
            }
        }
    };
}

exc_kinds! {
    BaseException: BaseException = "BaseException",
    SystemExit: BaseException = "SystemExit",
    KeyboardInterrupt: BaseException = "KeyboardInterrupt",
    Exception: BaseException = "Exception",
    ArithmeticError: Exception = "ArithmeticError",
    ZeroDivisionError: ArithmeticError = "ZeroDivisionError",
    OverflowError: ArithmeticError = "OverflowError",
    AssertionError: Exception = "AssertionError",
    AttributeError: Exception = "AttributeError",
    LookupError: Exception = "LookupError",
    IndexError: LookupError = "IndexError",
    KeyError: LookupError = "KeyError",
    NameError: Exception = "NameError",
    UnboundLocalError: NameError = "UnboundLocalError",
    RuntimeError: Exception = "RuntimeError",
    RecursionError: RuntimeError = "RecursionError",
    NotImplementedError: RuntimeError = "NotImplementedError",
    BrokenBarrierError: RuntimeError = "BrokenBarrierError",
    TypeError: Exception = "TypeError",
    ValueError: Exception = "ValueError",
    MemoryError: Exception = "MemoryError",
    // bigint area: `input()` at the end of standard input
    EOFError: Exception = "EOFError",
    StopIteration: Exception = "StopIteration",
    ImportError: Exception = "ImportError",
    ModuleNotFoundError: ImportError = "ModuleNotFoundError",
    OSError: Exception = "OSError",
    TimeoutError: OSError = "TimeoutError",
    QueueEmpty: Exception = "_queue.Empty",
    QueueFull: Exception = "queue.Full",
    FrozenInstanceError: AttributeError = "dataclasses.FrozenInstanceError",
    // generators
    GeneratorExit: BaseException = "GeneratorExit",
    SystemError: Exception = "SystemError",
}

impl ExcKind {
    /// True if `self` is `other` or a subclass of it.
    pub fn is_subclass_of(self, other: ExcKind) -> bool {
        let mut k = self;
        loop {
            if k == other {
                return true;
            }
            let p = k.parent();
            if p == k {
                return false;
            }
            k = p;
        }
    }

    /// The name a program uses to refer to the class (`Empty` for `queue.Empty`).
    pub fn attr_name(self) -> &'static str {
        match self {
            ExcKind::QueueEmpty => "Empty",
            ExcKind::QueueFull => "Full",
            ExcKind::FrozenInstanceError => "FrozenInstanceError",
            k => k.name(),
        }
    }

    /// Classes reachable as builtins (not through a module).
    pub fn is_builtin_name(self) -> bool {
        !matches!(
            self,
            ExcKind::QueueEmpty
                | ExcKind::QueueFull
                | ExcKind::BrokenBarrierError
                | ExcKind::FrozenInstanceError
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy_follows_python() {
        assert!(ExcKind::KeyError.is_subclass_of(ExcKind::LookupError));
        assert!(ExcKind::KeyError.is_subclass_of(ExcKind::Exception));
        assert!(ExcKind::RecursionError.is_subclass_of(ExcKind::RuntimeError));
        assert!(!ExcKind::KeyError.is_subclass_of(ExcKind::IndexError));
        assert!(!ExcKind::SystemExit.is_subclass_of(ExcKind::Exception));
        assert!(ExcKind::ALL
            .iter()
            .all(|k| k.is_subclass_of(ExcKind::BaseException)));
    }
}
