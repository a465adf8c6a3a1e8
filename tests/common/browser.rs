//! Headless Chromium for the tests that load an HTML trace page: finding the browser and
//! dumping a page's DOM after its scripts ran.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium binary on the PATH, if any (tests skip visibly without it).
pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        })
}

/// The DOM of `page` (with `fragment`, e.g. `#step=3`, or "") once its scripts have run, in a
/// fresh browser profile named `profile` under the test's temporary directory.
pub fn dump_dom(browser: &Path, page: &Path, fragment: &str, profile: &str) -> String {
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chromium_{profile}"));
    let _ = std::fs::remove_dir_all(&profile);
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,900",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .expect("chromium runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
