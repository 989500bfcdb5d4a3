//! `kbdiag new`: the skeleton of a rule and of its tests, with a short comment on each field.
//! `kbdiag check` accepts both as written, and their tests pass.

/// The rule file for `id`; `schemas` is the path from the rule's folder to `schemas/`.
pub fn rule(id: &str, schemas: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema={schemas}/rule.schema.json
# {id} as a kbdiag rule. Fields: docs/rules.md; a worked example: kb/KB322051.yaml.
# Check with `kbdiag check`, test with `kbdiag test` (cases in {id}.tests.yaml).

# The article's id, and any other names it goes by (e.g. its Q number).
id: {id}
aliases: []
title: TODO the article's title
# The revision and review date printed on the article.
revision: "1.0"
last_reviewed: TODO

applies_to:
  # The products in the article's "Applies to" section.
  products: [TODO]
  # True when the host is one of those products; false makes the article not_applicable.
  when:
    label: the host runs the product
    all:
      - icontains(fact("os.name"), "TODO")

# One entry per symptom in the article. `when` tells how to see it in facts; leave it out for
# a symptom only a person can report.
symptoms:
  - id: example-event
    text: TODO the symptom as the article states it
    when: event("TODO event source", 1)

cause:
  text: TODO the article's cause
  # True when the cause holds. Give each fact its own part, so that any one of them can decide
  # and a missing one is named.
  when:
    all:
      - label: TODO the fact that shows the cause
        expr: file_bits("%SystemRoot%/System32/TODO.dll") == 128

# What the fix needs first: `when` is true when it is installed.
prerequisites: []

resolution:
  # One line: what the fix is and what it does.
  summary: TODO install the fix
  # How to obtain it; `%NAME%` is replaced by the host's environment variable.
  obtain: TODO where to get it
  # The article's file table: date (YYYY-MM-DD), time, size, file, platform, bits, package.
  files: []

# For hosts that should not take the fix; remove if the article has no workaround.
workaround:
  when: TODO which hosts
  steps:
    - TODO the first step

status: TODO the article's status line
related: []
"#
    )
}

/// The tests file for rule `id`.
pub fn tests(id: &str, schemas: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema={schemas}/tests.schema.json
# Test cases for {id}: a host's facts and what the rule must say. Run with `kbdiag test`.
# Add a case for every status (affected, not_affected, not_applicable, suspected, unknown) and
# every action the rule can give.
rule: {id}
cases:
  - name: a host that is not the product
    facts: {{host: OTHER, os: {{name: Some other system, version: "1.0"}}}}
    expect: {{status: not_applicable, action: none}}

  - name: a host with no facts cannot be decided
    facts: {{host: EMPTY}}
    expect: {{status: unknown, action: collect-facts}}
"#
    )
}
