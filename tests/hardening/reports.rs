//! Hardening round 3 (reports): each attack of issue 25 (and each collect→eval trap of issue 24) that
//! worked on an earlier version, as a regression test.

#[allow(unused_imports)]
use super::common::{kbdiag, kbdiag_within, ndjson, root, scratch, stderr, stdout};
