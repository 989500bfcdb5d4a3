//! Running the `kbdiag` binary from tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn kbdiag(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kbdiag"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kbdiag runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Runs kbdiag like [`kbdiag`], failing the test if it takes `seconds` or more: a guard against
/// hangs, not a speed figure. A run past the limit is killed, so a hang fails the test instead of
/// blocking the suite.
pub fn kbdiag_within(seconds: u64, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kbdiag"));
    command.args(args);
    run_within(command, seconds, args)
}

/// Runs `command` (from the project's root, stdin empty), killed and the test failed after
/// `seconds`; `args` name it in the failure.
pub fn run_within(mut command: Command, seconds: u64, args: &[&str]) -> Output {
    let start = std::time::Instant::now();
    let mut child = command
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kbdiag runs");
    // Drain the pipes on threads, so a child writing more than a pipe holds is not stalled.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).ok();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).ok();
        v
    });
    let limit = std::time::Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() >= limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} took more than {limit:?}: killed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let took = start.elapsed();
    assert!(took < limit, "{args:?} took {took:?}");
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The lines of NDJSON output but the articles' records a brief run starts with
/// (`{"article": …}`): one line per input, and the summary line if asked for.
pub fn ndjson(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .filter(|l| !l.starts_with("{\"article\":"))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A folder of its own under the target's scratch space.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Facts and a rule that carry HTML and script.
pub fn hostile(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let facts = serde_json::json!({
        "host": "<img src=x onerror=document.body.dataset.owned=1>",
        "os": {"name": "Windows NT Server 4.0", "edition": "<b>Standard</b>", "version": "4.0"},
        "env": {"SystemRoot": "C:\\WINNT\"><script>alert(2)</script>"},
        "events": [{"log": "Application", "source": "MSExchangeMTA", "id": 9318,
                    "message": "</script><script>alert(3)</script><script>document.body.dataset.owned=3</script> NT/MTA error code: 5"}],
        "reported_errors": ["javascript:alert(4) DS_E_COMMUNICATIONS_PROBLEM"]
    });
    let path = dir.join("hostile.json");
    std::fs::write(&path, facts.to_string()).unwrap();
    let rules = dir.join("kb");
    std::fs::create_dir_all(&rules).unwrap();
    let rule = std::fs::read_to_string(root().join("kb/KB322051.yaml"))
        .unwrap()
        .replace(
            "url: http://support.microsoft.com/kb/311401/",
            "url: \"javascript:alert(5)\"",
        )
        .replace(
            "title: Windows 2000 Security Rollup Package 1 (SR), January 2002",
            "title: \"<a href=javascript:alert(6)>Rollup</a>\"",
        );
    std::fs::write(rules.join("KB322051.yaml"), rule).unwrap();
    (path, rules)
}

/// Copies the folder `from` into `to`, file by file (times are not kept).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The example volume `examples/volumes/nt4-srp`, copied into a scratch folder of its own.
pub fn example_volume(name: &str) -> PathBuf {
    let dir = scratch(name).join("nt4-srp");
    copy_tree(&root().join("examples/volumes/nt4-srp"), &dir);
    dir
}

/// A brief line's results as the full form lists them: one object per article with its `kb`,
/// `status`, `evidence` (positions in `texts`) and its `details`, the symptoms as a list of
/// `{id, observed, evidence, missing}`. In the line's order: by status, then rule order. A full
/// line's results as they are.
#[allow(dead_code)]
pub fn brief_results(line: &serde_json::Value) -> Vec<serde_json::Value> {
    use serde_json::{Value, json};
    if let Some(list) = line["results"].as_array() {
        return list.clone(); // the full form
    }
    let mut out = Vec::new();
    let Some(groups) = line["results"].as_object() else {
        return out;
    };
    for (status, group) in groups {
        for (kb, evidence) in group.as_object().expect("status: {kb: evidence}") {
            let mut r = json!({"kb": kb, "status": status, "evidence": evidence});
            for (key, value) in line["details"][kb].as_object().into_iter().flatten() {
                r[key] = value.clone();
            }
            if let Some(by_state) = line["details"][kb]["symptoms"].as_object() {
                let mut symptoms = Vec::new();
                for (observed, group) in by_state {
                    for (id, found) in group.as_object().expect("observed: {id: found}") {
                        let mut s = json!({"id": id, "observed": observed});
                        for (key, value) in found.as_object().into_iter().flatten() {
                            s[key] = value.clone();
                        }
                        symptoms.push(s);
                    }
                }
                r["symptoms"] = Value::Array(symptoms);
            }
            out.push(r);
        }
    }
    out
}
