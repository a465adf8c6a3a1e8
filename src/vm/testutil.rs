//! Test support for the runtime's unit tests: a fresh [`Rt`] and a parser for Python literals
//! (`[1, 'a', (2.5,)]`, `{'k': None}`, `range(0, 5)`), so tests read as data:
//! `check("[1] + [2]", "[1, 2]")` rather than hand-built heap objects.

use std::rc::Rc;

use crate::bytecode::Program;
use crate::vm::heap::{DictMap, Obj};
use crate::vm::ops::hash_key;
use crate::vm::value::Value;
use crate::vm::Rt;

/// A runtime with a 64 MiB heap and output captured in memory.
pub fn rt() -> Rt {
    rt_with_limit(64 << 20)
}

pub fn rt_with_limit(limit: usize) -> Rt {
    let program = Program {
        codes: vec![],
        names: vec![],
        filename: "t".into(),
        source: String::new(),
    };
    Rt::new(
        Rc::new(program),
        limit,
        Box::new(Vec::new()),
        crate::vm::pyrandom::PyRandom::from_run_seed(0),
    )
}

/// Parses one Python literal into a value (panics on malformed test input).
pub fn lit(rt: &mut Rt, src: &str) -> Value {
    let mut p = P {
        c: src.chars().collect(),
        i: 0,
    };
    let v = p.value(rt);
    p.ws();
    assert_eq!(p.i, p.c.len(), "trailing input in literal {src:?}");
    v
}

struct P {
    c: Vec<char>,
    i: usize,
}

impl P {
    fn ws(&mut self) {
        while self.i < self.c.len() && self.c[self.i].is_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, ch: char) -> bool {
        self.ws();
        if self.c.get(self.i) == Some(&ch) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn items(&mut self, rt: &mut Rt, close: char) -> (Vec<Value>, bool) {
        let mut v = Vec::new();
        let mut comma = false;
        loop {
            if self.eat(close) {
                return (v, comma);
            }
            v.push(self.value(rt));
            comma = self.eat(',');
        }
    }

    fn value(&mut self, rt: &mut Rt) -> Value {
        self.ws();
        let c = self.c[self.i];
        match c {
            '[' => {
                self.i += 1;
                let (v, _) = self.items(rt, ']');
                rt.new_list(v).unwrap()
            }
            '(' => {
                self.i += 1;
                let (v, comma) = self.items(rt, ')');
                if v.len() == 1 && !comma {
                    v[0]
                } else {
                    rt.new_tuple(v).unwrap()
                }
            }
            '{' => {
                self.i += 1;
                let mut d = DictMap::default();
                while !self.eat('}') {
                    let k = self.value(rt);
                    assert!(self.eat(':'));
                    let v = self.value(rt);
                    d.insert(hash_key(rt, k).unwrap(), (k, v));
                    self.eat(',');
                }
                rt.alloc(Obj::Dict(d)).unwrap()
            }
            '\'' | '"' => {
                self.i += 1;
                let mut s = String::new();
                while self.c[self.i] != c {
                    let mut ch = self.c[self.i];
                    if ch == '\\' {
                        self.i += 1;
                        ch = match self.c[self.i] {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            'x' => {
                                let h: String = self.c[self.i + 1..self.i + 3].iter().collect();
                                self.i += 2;
                                char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap()
                            }
                            o => o,
                        };
                    }
                    s.push(ch);
                    self.i += 1;
                }
                self.i += 1;
                rt.new_str(s).unwrap()
            }
            _ => {
                let start = self.i;
                while self.i < self.c.len()
                    && (self.c[self.i].is_alphanumeric() || "_.+-".contains(self.c[self.i]))
                {
                    // A sign only starts a number or follows an exponent marker.
                    let ch = self.c[self.i];
                    if (ch == '+' || ch == '-')
                        && self.i > start
                        && !matches!(self.c[self.i - 1], 'e' | 'E')
                    {
                        break;
                    }
                    self.i += 1;
                }
                let word: String = self.c[start..self.i].iter().collect();
                match word.as_str() {
                    "None" => Value::None,
                    "True" => Value::Bool(true),
                    "False" => Value::Bool(false),
                    "inf" => Value::Float(f64::INFINITY),
                    "nan" => Value::Float(f64::NAN),
                    "range" | "slice" => {
                        assert!(self.eat('('));
                        let (a, _) = self.items(rt, ')');
                        let int = |v: &Value| match v {
                            Value::Int(i) => *i,
                            _ => panic!("range bounds must be ints"),
                        };
                        let obj = if word == "range" {
                            let (start, stop, step) = match a.as_slice() {
                                [e] => (0, int(e), 1),
                                [s, e] => (int(s), int(e), 1),
                                [s, e, t] => (int(s), int(e), int(t)),
                                _ => panic!("bad range"),
                            };
                            Obj::Range { start, stop, step }
                        } else {
                            let g = |k: usize| a.get(k).copied().unwrap_or(Value::None);
                            Obj::Slice {
                                start: g(0),
                                stop: g(1),
                                step: g(2),
                            }
                        };
                        rt.alloc(obj).unwrap()
                    }
                    w if crate::vm::natives::NativeId::builtin_from_str(w).is_some() => {
                        Value::Native(crate::vm::natives::NativeId::builtin_from_str(w).unwrap())
                    }
                    w if crate::vm::exceptions::ExcKind::ALL
                        .iter()
                        .any(|k| k.name() == w) =>
                    {
                        let k = crate::vm::exceptions::ExcKind::ALL
                            .iter()
                            .find(|k| k.name() == w);
                        Value::ExcType(*k.unwrap())
                    }
                    w => match w.replace('_', "").parse::<i64>() {
                        Ok(i) => Value::Int(i),
                        Err(_) => Value::Float(
                            w.parse::<f64>()
                                .unwrap_or_else(|_| panic!("bad literal {w:?}")),
                        ),
                    },
                }
            }
        }
    }
}

/// A writer whose bytes the test can read back (what `print` wrote).
#[derive(Clone, Default)]
pub struct Captured(pub std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

/// A runtime whose program output is captured.
pub fn rt_capture() -> (Rt, Captured) {
    let mut rt = rt();
    let out = Captured::default();
    rt.stdout = Box::new(out.clone());
    (rt, out)
}
