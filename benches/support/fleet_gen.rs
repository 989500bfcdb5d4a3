//! Synthetic fleets in the documented fact format (docs/facts.md), for benchmarks and tests:
//! about 4 KB per host, ~20 files, ~30 events, a third of the hosts Windows NT 4.0.
#![allow(dead_code)]

use serde_json::{Value, json};

/// A small deterministic generator (xorshift), so fleets are the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// Host `i` of a fleet, with `files` files and `events` events.
pub fn host(rng: &mut Rng, i: usize, files: usize, events: usize) -> Value {
    let nt4 = i % 3 == 0;
    let root = if nt4 {
        "C:\\WINNT"
    } else {
        rng.pick(&["C:\\WINNT", "C:\\WINDOWS"])
    };
    let os = if nt4 {
        json!({"name": "Windows NT Server 4.0", "edition": "Standard", "version": "4.0",
               "build": 1381, "service_pack": rng.pick(&["5", "6", "6a", "6a"]),
               "cipher_bits": if rng.below(2) == 0 { 56 } else { 128 }})
    } else {
        let (name, version, build) = [
            ("Windows 2000 Server", "5.0", 2195),
            ("Windows Server 2003", "5.2", 3790),
            ("Windows XP Professional", "5.1", 2600),
        ][rng.below(3) as usize];
        json!({"name": name, "version": version, "build": build,
               "service_pack": rng.below(4).to_string(), "cipher_bits": 128})
    };
    let bits = |rng: &mut Rng| if rng.below(3) == 0 { 56 } else { 128 };
    let mut file_list = vec![
        json!({"path": format!("{root}\\System32\\schannel.dll"), "size": 164112,
               "modified": "2001-07-16T12:05:00Z", "cipher_bits": bits(rng)}),
        json!({"path": format!("{root}\\System32\\ntlmssps.dll"), "size": 36112,
               "modified": "2001-07-16T12:05:00Z", "cipher_bits": bits(rng)}),
        json!({"path": format!("{root}\\System32\\security.dll"), "size": 59152,
               "modified": if rng.below(2) == 0 { "1999-11-18T12:04:00Z" } else { "1999-09-23T11:04:00Z" }}),
    ];
    for f in 3..files {
        file_list.push(json!({
            "path": format!("{root}\\System32\\lib{f:03}.dll"),
            "size": 10_000 + rng.below(500_000),
            "version": format!("4.0.1381.{}", rng.below(400)),
        }));
    }
    let sources = [
        "MSExchangeMTA",
        "MSExchangeIS",
        "MSExchangeAdmin",
        "Service Control Manager",
        "EventLog",
    ];
    let event_list: Vec<Value> = (0..events)
        .map(|_| {
            let source = rng.pick(&sources);
            let id = [9318, 9322, 1008, 7036, 6005, 1000][rng.below(6) as usize];
            let mut event = json!({"source": source, "id": id, "time": "2026-11-20T09:58:12Z"});
            if rng.below(5) == 0 {
                event["message"] = json!("An RPC communications error occurred.");
            }
            event
        })
        .collect();
    let hotfixes =
        &["Q299444", "Q246009", "Q311401", "Q320206", "Q326830"][..1 + rng.below(5) as usize];
    let mut doc = json!({
        "host": format!("HOST-{i:06}"),
        "collected": "2026-11-20T10:15:00Z",
        "os": os,
        "env": {"SystemRoot": root, "COMPUTERNAME": format!("HOST-{i:06}"), "windir": root},
        "hotfixes": hotfixes,
        "software": [{"name": "Microsoft Exchange Server", "version": "5.5.2653.23"},
                     {"name": "Microsoft Internet Explorer", "version": "6.0.2800.1106"}],
        "files": file_list,
        "registry": {"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LMCompatibilityLevel": 3},
        "events": event_list,
    });
    if rng.below(10) == 0 {
        doc["reported_errors"] = json!(["DS_E_COMMUNICATIONS_PROBLEM"]);
    }
    doc
}

/// `n` hosts as compact JSON documents, one per line.
pub fn ndjson(n: usize, files: usize, events: usize) -> Vec<String> {
    let mut rng = Rng::new(42);
    (0..n)
        .map(|i| serde_json::to_string(&host(&mut rng, i, files, events)).unwrap_or_default())
        .collect()
}
