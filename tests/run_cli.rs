//! `gilvm run` and `gilvm replay` as a user sees them: the seed's counter programs, the lost
//! update count, determinism, record → replay, and exit statuses.

use std::process::Command;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gilvm(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_gilvm"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run gilvm");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The number in `lost updates: counter 1,234 (in …)`.
fn lost_for(stderr: &str, name: &str) -> Option<i64> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("gilvm: lost updates:"))?;
    if line.ends_with("none") {
        return Some(0);
    }
    let rest = line.split(&format!("{name} ")).nth(1)?;
    let num: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    num.parse().ok()
}

#[test]
fn unlocked_counter_loses_updates_and_the_summary_counts_them_exactly() {
    let mut losing = 0;
    for seed in 0..6 {
        let s = seed.to_string();
        let o = gilvm(&["run", "programs/counter_race.toy", "--seed", &s]);
        assert_eq!(o.code, 0, "seed {seed}: {}", o.stderr);
        let printed: i64 = o.stdout.trim().parse().expect("prints a number");
        assert!(printed <= 400_000);
        if printed < 400_000 {
            losing += 1;
        }
        let lost = lost_for(&o.stderr, "counter").expect("summary names lost updates");
        assert_eq!(
            lost,
            400_000 - printed,
            "seed {seed}: lost-update count must equal the missing increments\n{}",
            o.stderr
        );
    }
    assert!(losing >= 5, "most seeds must lose updates, {losing}/6 did");
}

#[test]
fn locked_counter_is_exact_under_every_seed() {
    for seed in [0, 1, 7, 12345] {
        let s = seed.to_string();
        let o = gilvm(&[
            "run",
            "programs/counter_locked.toy",
            "--seed",
            &s,
            "--switch-interval",
            "7",
        ]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert_eq!(o.stdout, "400000\n");
        assert_eq!(lost_for(&o.stderr, "counter"), Some(0), "{}", o.stderr);
    }
}

#[test]
fn same_seed_gives_byte_identical_runs() {
    let a = gilvm(&["run", "programs/counter_race.toy", "--seed", "42"]);
    let b = gilvm(&["run", "programs/counter_race.toy", "--seed", "42"]);
    assert_eq!(
        (a.code, &a.stdout, &a.stderr),
        (b.code, &b.stdout, &b.stderr)
    );
    let c = gilvm(&["run", "programs/counter_race.toy", "--seed", "43"]);
    assert_ne!(
        a.stdout, c.stdout,
        "different seeds should interleave differently"
    );
}

#[test]
fn record_then_replay_reproduces_the_run() {
    let dir = std::env::temp_dir().join(format!("gilvm-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sched = dir.join("race.schedule");
    let sched = sched.to_str().unwrap();
    let a = gilvm(&[
        "run",
        "programs/counter_race.toy",
        "--seed",
        "9",
        "--record",
        sched,
    ]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let text = std::fs::read_to_string(sched).unwrap();
    assert!(text.starts_with("gilvm-schedule 2\n"), "{text}");
    assert!(text.contains("\nseed 9\n") && text.contains("\nmodel any\n"));
    let b = gilvm(&["replay", sched]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(
        lost_for(&a.stderr, "counter"),
        lost_for(&b.stderr, "counter")
    );
    // A schedule for another program is refused.
    let bad = dir.join("bad.schedule");
    let other = text.replace(
        &text
            .lines()
            .find(|l| l.starts_with("program-hash"))
            .unwrap()
            .to_string(),
        "program-hash fnv1a64:0123456789abcdef",
    );
    std::fs::write(&bad, other).unwrap();
    let c = gilvm(&["replay", bad.to_str().unwrap()]);
    assert_eq!(c.code, 2);
    assert!(c.stderr.contains("different version"), "{}", c.stderr);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hand_written_schedule_loses_exactly_one_update() {
    let o = gilvm(&["replay", "programs/lesson_lost_update.schedule"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout, "1\n");
    assert_eq!(lost_for(&o.stderr, "counter"), Some(1), "{}", o.stderr);
}

#[test]
fn without_a_seed_one_is_drawn_and_printed() {
    let o = gilvm(&["run", "programs/lesson_lost_update.toy", "-q"]);
    assert_eq!(o.code, 0);
    assert!(o.stderr.contains("using seed"), "{}", o.stderr);
}

#[test]
fn unreadable_file_is_a_usage_error() {
    let o = gilvm(&["run", "programs/does-not-exist.toy"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("cannot read"), "{}", o.stderr);
}
