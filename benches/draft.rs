//! Drafting benchmark: `kbdiag new --from`'s drafter over every `[winnt]` article of the
//! archive (9,161, `../shared/kb-source/archive-winnt.tar.xz`), on one core. Reports unpacking
//! the archive, drafting every article (the fastest and the median of five rounds), and drafting
//! then checking every draft as `kbdiag check` does (one round). `cargo bench --bench draft`
//! (figures in docs/performance.md, "Drafting"); KBDIAG_DRAFT_ARCHIVE names another archive.

#[path = "support/untar.rs"]
mod untar;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The archive: KBDIAG_DRAFT_ARCHIVE, or the shared sources beside the checkout.
fn archive() -> PathBuf {
    if let Some(p) = std::env::var_os("KBDIAG_DRAFT_ARCHIVE") {
        return p.into();
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kb-source");
    let dir = if beside.is_dir() {
        beside
    } else {
        PathBuf::from("/work/shared/kb-source")
    };
    dir.join("archive-winnt.tar.xz")
}

/// This thread's processor time (user and system), from `/proc/thread-self/stat` on Linux: on
/// a shared machine the wall clock also counts the other processes' turns.
fn cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

fn seconds(d: Option<Duration>) -> String {
    d.map_or("?".into(), |d| format!("{:.2}", d.as_secs_f64()))
}

fn id(path: &str) -> String {
    let stem = Path::new(path).file_stem().unwrap().to_string_lossy();
    format!("KB{}", stem.trim_start_matches(['Q', 'q']))
}

fn main() {
    let path = archive();
    let start = Instant::now();
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set KBDIAG_DRAFT_ARCHIVE)", path.display()));
    let mut tar = Vec::new();
    lzma_rs::xz_decompress(&mut std::io::BufReader::new(file), &mut tar).unwrap();
    let articles: Vec<(String, String)> = (untar::untar(&tar).into_iter())
        .filter(|(name, _)| name.to_ascii_uppercase().ends_with(".TXT"))
        .collect();
    let unpack = start.elapsed();
    let bytes: usize = articles.iter().map(|(_, t)| t.len()).sum();
    println!(
        "{} articles, {:.1} MB of text, unpacked in {:.2} s",
        articles.len(),
        bytes as f64 / 1e6,
        unpack.as_secs_f64()
    );

    // Drafting alone: five rounds.
    let mut times = Vec::new();
    let mut cpus = Vec::new();
    let mut counts = (0, 0, 0, 0);
    for _ in 0..5 {
        let start = Instant::now();
        let before = cpu();
        counts = (0, 0, 0, 0);
        for (path, text) in &articles {
            let d = kbdiag::authoring::draft::draft(&id(path), path, text, "../schemas");
            counts.0 += d.tables;
            counts.1 += d.rows;
            counts.2 += d.marked;
            counts.3 += d.rule.len();
        }
        times.push(start.elapsed());
        cpus.extend(cpu().zip(before).map(|(a, b)| a.saturating_sub(b)));
    }
    times.sort();
    cpus.sort();
    let (fastest, median) = (times[0], times[times.len() / 2]);
    println!(
        "drafting: fastest {:.3} s, median {:.3} s, least processor time {} s \
         ({:.0} articles/s, {:.1} MB/s of text); \
         {} tables, {} rows, {} marked, {:.1} MB of drafts",
        fastest.as_secs_f64(),
        median.as_secs_f64(),
        seconds(cpus.first().copied()),
        articles.len() as f64 / fastest.as_secs_f64(),
        bytes as f64 / 1e6 / fastest.as_secs_f64(),
        counts.0,
        counts.1,
        counts.2,
        counts.3 as f64 / 1e6
    );

    // Drafting, then checking each draft as `kbdiag check` does: one round.
    let sandbox = kbdiag::engine::script::Sandbox::new();
    let start = Instant::now();
    let before = cpu();
    let mut check = Duration::ZERO;
    let mut failing = 0;
    for (path, text) in &articles {
        let id = id(path);
        let d = kbdiag::authoring::draft::draft(&id, path, text, "../schemas");
        let file = kbdiag::rules::kb::RuleFile {
            name: format!("{id}.yaml"),
            bytes: d.rule.into_bytes(),
        };
        let checked = Instant::now();
        let problems = kbdiag::evaluate::compile::check(&sandbox, &[file]);
        check += checked.elapsed();
        if problems
            .iter()
            .any(|p| !p.warning || !p.to_string().contains("TODO left"))
        {
            failing += 1;
        }
    }
    println!(
        "drafting and checking: {:.2} s ({} s of processor time), of which checking {:.2} s; \
         {failing} drafts failing check",
        start.elapsed().as_secs_f64(),
        seconds(cpu().zip(before).map(|(a, b)| a.saturating_sub(b))),
        check.as_secs_f64()
    );
}
