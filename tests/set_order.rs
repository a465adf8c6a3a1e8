//! Set iteration order against CPython's: random sequences of set operations (adds, discards,
//! pops, copies, `| & - ^` and their in-place forms, the methods, comprehensions, sets built
//! from dicts), printed after many steps, must print exactly what `python3` prints. gilvm
//! replays CPython 3.11's set table (`src/vm/set.rs`); this is what found its dummy-slot and
//! clean-up rules. Deterministic (a fixed-seed xorshift); skips, saying so, without `python3`.

use std::process::Command;

/// A tiny deterministic random source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn list(&mut self) -> String {
        let n = self.below(13);
        let items: Vec<String> = (0..n).map(|_| self.int(-20, 300).to_string()).collect();
        format!("[{}]", items.join(", "))
    }
}

fn program(rng: &mut Rng) -> String {
    let mut lines = vec![
        "a = set()".to_string(),
        "b = set()".to_string(),
        "c = frozenset()".to_string(),
    ];
    let steps = 20 + rng.below(40);
    for _ in 0..steps {
        let op = match rng.below(26) {
            0 => format!("a.add({})", rng.int(-20, 300)),
            1 => format!("b.add({})", rng.int(-20, 60)),
            2 => format!("a.discard({})", rng.int(-20, 300)),
            3 => format!("a.update({})", rng.list()),
            4 => format!("b.update(set({}))", rng.list()),
            5 => "a = a | b".into(),
            6 => "a = a & b".into(),
            7 => "b = b - a".into(),
            8 => "a = a ^ b".into(),
            9 => "a |= b".into(),
            10 => "a &= set(range(-5, 150))".into(),
            11 => "a -= b".into(),
            12 => "b ^= a".into(),
            13 => format!("b = b.union({}, {})", rng.list(), rng.list()),
            14 => format!("a = a.intersection({})", rng.list()),
            15 => format!("a = a.difference({})", rng.list()),
            16 => format!("b = b.symmetric_difference({})", rng.list()),
            17 => format!("a.difference_update({})", rng.list()),
            18 => format!("a.intersection_update(set({}) | a)", rng.list()),
            19 => format!("b.symmetric_difference_update({})", rng.list()),
            20 => "c = frozenset(a) | c".into(),
            21 => "a = a.copy()".into(),
            22 => "x = a.pop() if a else None\nx = b.pop() if b else None".into(),
            23 => format!("a = set({})", rng.list()),
            24 => "a = {x * 3 for x in b if x % 2}".into(),
            _ => format!(
                "b = set(range({}, {}))\na = set({{k: 1 for k in a}})",
                rng.int(-10, 10),
                rng.int(10, 120)
            ),
        };
        lines.push(op);
        if rng.below(2) == 0 {
            lines.push("print(a, b, c, len(a), len(b))".into());
        }
    }
    lines.push("print(a, b, c, list(a), sorted(b))".into());
    lines.join("\n") + "\n"
}

#[test]
fn random_set_operations_print_what_cpython_prints() {
    if Command::new("python3")
        .args(["-c", "pass"])
        .output()
        .is_err()
    {
        eprintln!("skipped: python3 not found");
        return;
    }
    let dir = std::env::temp_dir().join(format!("gilvm-set-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut rng = Rng(0x5e7_0bde_u64.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut failures = Vec::new();
    for i in 0..40 {
        let src = program(&mut rng);
        let path = dir.join(format!("p{i}.py"));
        std::fs::write(&path, &src).expect("write program");
        let want = Command::new("python3")
            .arg(&path)
            .output()
            .expect("python3 runs");
        let got = Command::new(env!("CARGO_BIN_EXE_gilvm"))
            .args(["run", "--seed", "1", "-q"])
            .arg(&path)
            .output()
            .expect("gilvm runs");
        if want.stdout != got.stdout {
            failures.push(format!(
                "program:\n{src}\npython3:\n{}\ngilvm:\n{}{}",
                String::from_utf8_lossy(&want.stdout),
                String::from_utf8_lossy(&got.stdout),
                String::from_utf8_lossy(&got.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 40 programs differ; the first:\n{}",
        failures.len(),
        failures[0]
    );
}
