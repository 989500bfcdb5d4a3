//! The HTML report (`eval --format html`) as text: self-contained, every input in it, every
//! untrusted value escaped. tests/browser.rs renders it in Chromium.

mod common;

use common::{hostile, kbdiag, root, scratch, stdout};

fn html(args: &[&str], stdin: Option<&[u8]>) -> String {
    let mut all = vec!["eval", "--format", "html"];
    all.extend_from_slice(args);
    let o = kbdiag(&all, stdin);
    assert!(matches!(o.status.code(), Some(0..=2)), "{o:?}");
    stdout(&o)
}

#[test]
fn the_page_is_self_contained_and_lists_every_input() {
    let page = html(
        &[
            "--kb",
            "kb/KB322051.yaml",
            "examples/hosts",
            "tests/fixtures/bad/wrong-type.json",
        ],
        None,
    );
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;sha256-"));
    // Nothing is loaded from elsewhere: no external script, stylesheet, font or image.
    for external in ["<script src", "<link", "@import", "url(", "<img", "<iframe"] {
        assert!(!page.contains(external), "{external}");
    }
    assert_eq!(page.matches("<details class=\"host\"").count(), 9);
    assert_eq!(page.matches("<div class=\"unreadable\"").count(), 1);
    assert!(page.contains("tests/fixtures/bad/wrong-type.json:1:60: files: invalid type"));
    // At a glance: the chart, the counts, the rules' identity and the run's time.
    assert!(page.contains("<svg class=\"chart\" role=\"img\""));
    assert!(page.contains(
        "<th scope=\"row\">KB322051</th><td class=\"num\">2</td><td class=\"num\">1</td>"
    ));
    assert!(page.contains("KB322051</span> revision 6.0 <code class=\"digest\""));
    // The hosts that need action link to their sections.
    assert_eq!(page.matches("<tr><td><a href=\"#h").count(), 3);
    // Everything the text report says of an affected host.
    for said in [
        "The article's explanation of the cause",
        "Ask the users whether programs fail to connect",
        "Hotfix files (the article's table, UTC; these or later versions)",
        "Or, if the host must keep the 56-bit versions of the security DLLs",
        "Rename the current Schannel.dll and Ntlmssps.dll files in the C:\\WINNT\\System32 folder.",
        "See also <a href=\"http://support.microsoft.com/kb/296861/\" rel=\"noreferrer noopener\">KB296861</a>",
    ] {
        assert!(page.contains(said), "{said}");
    }
}

#[test]
fn the_same_page_for_any_jobs_and_from_an_ndjson_stream() {
    let one = html(&["--jobs", "1", "examples/hosts"], None);
    let two = html(&["--jobs", "2", "examples/hosts"], None);
    let strip = |p: &str| {
        p.split("Generated ")
            .nth(1)
            .unwrap()
            .split_once(" by ")
            .unwrap()
            .1
            .to_owned()
    };
    assert_eq!(strip(&one), strip(&two));
    let stream =
        std::fs::read_to_string(root().join("tests/fixtures/hosts/02-affected-sp6-hotfix.json"))
            .unwrap()
            .replace('\n', " ")
            + "\nnot json\n";
    let page = html(&["--input", "ndjson", "-"], Some(stream.as_bytes()));
    assert_eq!(page.matches("<details class=\"host\"").count(), 1);
    assert!(page.contains("&#60;stdin&#62;:2"));
}

#[test]
fn html_and_script_from_facts_and_rules_are_text() {
    let dir = scratch("html-hostile");
    let (facts, rules) = hostile(&dir);
    let page = html(
        &["--kb", rules.to_str().unwrap(), facts.to_str().unwrap()],
        None,
    );
    for raw in [
        "<img src=x",
        "<script>alert",
        "<b>Standard",
        "href=\"javascript:",
        "<a href=javascript:",
    ] {
        assert!(!page.contains(raw), "{raw} reached the page");
    }
    for shown in [
        "&#60;img src=x onerror=document.body.dataset.owned=1&#62;",
        "&#60;/script&#62;&#60;script&#62;alert(3)&#60;/script&#62;",
        "javascript:alert(4)",
        "KB311401 (javascript:alert(5))",
    ] {
        assert!(page.contains(shown), "{shown} is not shown as text");
    }
    // The page's one script is kbdiag's: it ends where kbdiag's script ends.
    assert_eq!(page.matches("<script>").count(), 1);
}
