//! The HTML report rendered in a real browser (headless Chromium): the page works offline under
//! its Content-Security-Policy, its script runs, and HTML or script from facts and rules creates
//! no element. Needs Chromium, so these tests are ignored by `cargo test`; `.ci/run` installs
//! Chromium and runs them with `cargo test --test browser -- --ignored`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{hostile, kbdiag, scratch};

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| {
        ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find(|c| Command::new(c).arg("--version").output().is_ok())
            .expect("Chromium is installed (apt-get install chromium), or CHROMIUM names it")
            .to_owned()
    })
}

fn headless(page: &Path, args: &[&str]) -> String {
    let url = format!("file://{}", page.display());
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--virtual-time-budget=3000"])
        .args(args)
        .arg(url)
        .output()
        .expect("Chromium runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn report(dir: &Path, args: &[&str]) -> PathBuf {
    let mut all = vec!["eval", "--format", "html"];
    all.extend_from_slice(args);
    let o = kbdiag(&all, None);
    let page = dir.join("report.html");
    std::fs::write(&page, &o.stdout).unwrap();
    page
}

#[test]
#[ignore = "needs Chromium; run by .ci/run"]
fn the_example_fleet_renders_and_its_script_runs_under_the_csp() {
    let dir = scratch("browser-example");
    let page = report(
        &dir,
        &[
            "--kb",
            "kb/KB322051.yaml",
            "examples/hosts",
            "tests/fixtures/bad/wrong-type.json",
        ],
    );
    let dom = headless(&page, &["--dump-dom"]);
    // The script ran (it is allowed by hash): it marks the page and shows the filters.
    assert!(dom.contains("<html lang=\"en\" class=\"js\">"), "{dom}");
    assert!(
        dom.contains("<div class=\"filters\">"),
        "filters still hidden"
    );
    assert!(dom.contains("3 of 3 shown"));
    // Its sort buttons were made.
    assert_eq!(
        dom.matches("<th scope=\"col\" aria-sort=\"none\"><button type=\"button\">")
            .count(),
        5
    );
    assert_eq!(dom.matches("<details class=\"host\"").count(), 9);
    assert!(dom.contains("<div class=\"unreadable\""));
    // The screenshot for docs/ (reviewed once; docs/report.png is the kept copy).
    let png = dir.join("report.png");
    headless(
        &page,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,1000",
        ],
    );
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
#[ignore = "needs Chromium; run by .ci/run"]
fn html_and_script_from_facts_and_rules_create_no_element() {
    let dir = scratch("browser-hostile");
    let (facts, rules) = hostile(&dir);
    let page = report(
        &dir,
        &["--kb", rules.to_str().unwrap(), facts.to_str().unwrap()],
    );
    let dom = headless(&page, &["--dump-dom"]);
    assert!(dom.contains("class=\"js\""), "kbdiag's own script ran");
    assert!(
        !dom.contains("data-owned"),
        "an injected handler or script ran:\n{dom}"
    );
    assert!(!dom.contains("<img"), "an element was made from a fact");
    assert_eq!(dom.matches("<script").count(), 1, "only kbdiag's script");
    assert!(!dom.contains("href=\"javascript:"));
    // The text is shown as it was written.
    assert!(dom.contains("&lt;img src=x onerror=document.body.dataset.owned=1&gt;"));
    assert!(dom.contains("&lt;/script&gt;&lt;script&gt;alert(3)&lt;/script&gt;"));
    assert!(dom.contains("javascript:alert(4) DS_E_COMMUNICATIONS_PROBLEM"));
}
