//! A synthetic fleet for the whole knowledge base (the thirty NT 4.0 SP6a / SRP articles of
//! `kb/`): every host carries the facts those articles read, as a collector that looked for them
//! would write them (a file it looked for and did not find is listed with `exists: false`; a list
//! it read and found empty is `[]`). Half the hosts are Windows NT 4.0 (Server, Workstation,
//! Enterprise and Terminal Server editions, service packs 3 to 6a, with and without the SRP and
//! the later hotfixes), a sixth Windows 2000 (some running Exchange 5.5), the rest Windows XP
//! and 2003. About 9 KB of JSON per NT 4.0 host.
#![allow(dead_code)]

use serde_json::{Value, json};

use crate::fleet_gen::Rng;

/// Host `i` of the knowledge-base fleet.
pub fn host(rng: &mut Rng, i: usize) -> Value {
    let name = format!("HOST-{i:06}");
    let facts = match i % 6 {
        0..=2 => nt4(rng, &name),
        3 => windows_2000(rng, &name),
        4 => other(rng, &name, "Windows XP Professional", "5.1", 2600),
        _ => other(rng, &name, "Windows Server 2003", "5.2", 3790),
    };
    let mut doc = json!({"host": name, "collected": "2002-09-20T10:15:00Z"});
    if let (Some(doc), Value::Object(facts)) = (doc.as_object_mut(), facts) {
        doc.extend(facts);
    }
    doc
}

/// `n` hosts of the knowledge-base fleet as compact JSON documents, one per line.
pub fn ndjson(n: usize) -> Vec<String> {
    let mut rng = Rng::new(42);
    (0..n)
        .map(|i| serde_json::to_string(&host(&mut rng, i)).unwrap_or_default())
        .collect()
}

/// True with probability `percent` in 100.
fn chance(rng: &mut Rng, percent: u64) -> bool {
    rng.below(100) < percent
}

const HOTFIX_KEY: &str = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\";
const LSA: &str = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LMCompatibilityLevel";

fn nt4(rng: &mut Rng, name: &str) -> Value {
    // The edition, as ProductType and ProductSuite give it.
    let (os_name, edition, product_type) = match rng.below(20) {
        0..=4 => ("Windows NT Workstation 4.0", None, "WinNT"),
        5..=6 => ("Windows NT Server 4.0", Some("Enterprise"), "ServerNT"),
        7 => ("Windows NT Server 4.0", Some("Terminal Server"), "ServerNT"),
        8..=12 => ("Windows NT Server 4.0", Some("Standard"), "LanmanNT"),
        _ => ("Windows NT Server 4.0", Some("Standard"), "ServerNT"),
    };
    let workstation = edition.is_none();
    // Service pack 3 to 6a; SP6a mostly written as CSDVersion writes it, "Service Pack 6".
    let level = ["3", "4", "5", "6", "6a", "6a", "6a", "6a", "6a", "6a"][rng.below(10) as usize];
    let sp6a = level == "6a";
    let written = match level {
        "6a" if chance(rng, 75) => "Service Pack 6".to_owned(),
        "6a" if chance(rng, 50) => "SP6a".to_owned(),
        "6a" => "6a".to_owned(),
        n if chance(rng, 70) => format!("Service Pack {n}"),
        n => n.to_owned(),
    };
    let cipher = if chance(rng, 50) { 56 } else { 128 };
    let mut os = json!({"name": os_name, "version": "4.0", "build": 1381,
                        "service_pack": written, "cipher_bits": cipher});
    if let Some(e) = edition {
        os["edition"] = json!(e);
    }
    let alpha = chance(rng, 5);
    let root = "C:\\WINNT";
    let processors = ["1", "1", "2", "4"][rng.below(4) as usize];
    let env = json!({"SystemRoot": root, "windir": root, "COMPUTERNAME": name,
                     "NUMBER_OF_PROCESSORS": processors,
                     "PROCESSOR_ARCHITECTURE": if alpha { "ALPHA" } else { "x86" }});

    // Software: what the articles ask about.
    let iis = !workstation && chance(rng, 35);
    let exchange = !workstation && chance(rng, 30);
    let mut software = vec![match rng.below(5) {
        0 => json!({"name": "Microsoft Internet Explorer 6", "version": "6.0.2800.1106"}),
        1 => json!({"name": "Microsoft Internet Explorer 5.5 SP2", "version": "5.50.4807.2300"}),
        2 => json!({"name": "Microsoft Internet Explorer 5.01 SP2", "version": "5.00.3315.1000"}),
        3 => json!({"name": "Microsoft Internet Explorer", "version": "5.50.4522.1800"}),
        _ => json!({"name": "Microsoft Internet Explorer", "version": "4.72.3110.8"}),
    }];
    if chance(rng, 15) {
        software.push(json!({"name": "Internet Explorer High Encryption Pack", "version": "5.5"}));
    }
    if exchange {
        software.push(json!({"name": "Microsoft Exchange Server", "version": "5.5.2653.23"}));
    }
    if iis {
        software.push(json!({"name": "Microsoft Internet Information Server", "version": "4.0"}));
    }
    let intellipoint = chance(rng, 20);
    if intellipoint {
        let v = ["2.0", "2.0a", "2.2", "4.0"][rng.below(4) as usize];
        software.push(json!({"name": "Microsoft IntelliPoint", "version": v}));
    }

    // Hotfixes: the list is complete; SP6a brings Q246009 (the hotfix that tells it from SP6).
    let srp = sp6a && chance(rng, 55);
    let mut hotfixes: Vec<String> = Vec::new();
    let installed = |id: &str, percent: u64, rng: &mut Rng, list: &mut Vec<String>| {
        let yes = chance(rng, percent);
        if yes {
            // Some tools write KB numbers.
            let shown = if chance(rng, 10) {
                id.replacen('Q', "KB", 1)
            } else {
                id.to_owned()
            };
            list.push(shown);
        }
        yes
    };
    let q246009 = sp6a && installed("Q246009", 97, rng, &mut hotfixes);
    if srp {
        hotfixes.push("Q299444".to_owned());
    }
    let q301625 = iis && installed("Q301625", 50, rng, &mut hotfixes);
    let q263490 = installed("Q263490", 8, rng, &mut hotfixes);
    for id in [
        "Q320392", "Q307991", "Q323310", "Q318420", "Q314696", "Q305929", "Q316211", "Q325045",
        "Q310703", "Q315101", "Q249863", "Q280119", "Q322051", "Q306513", "Q238185", "Q243655",
        "Q272492", "Q281480", "Q316772",
    ] {
        installed(id, if sp6a { 12 } else { 3 }, rng, &mut hotfixes);
    }
    if iis {
        installed("Q308244", 30, rng, &mut hotfixes);
    }
    for id in ["Q147222", "Q241041", "Q269049", "Q276575"] {
        installed(id, 20, rng, &mut hotfixes);
    }

    // The registry values the articles read; on half the hosts the collector also read the
    // Hotfix keys the rules name (1 when installed, null when not), and now and then a key
    // disagrees with a stale list.
    let mut registry = serde_json::Map::new();
    let lm = match rng.below(20) {
        0 => json!({"type": "REG_SZ", "value": "3"}),
        1 => Value::Null,
        n => json!([0, 1, 2, 3, 3, 4, 5][(n % 7) as usize]),
    };
    registry.insert(LSA.into(), lm);
    registry.insert(
        "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions\\ProductType".into(),
        json!(product_type),
    );
    registry.insert(
        "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\SynAttackProtect".into(),
        match rng.below(4) {
            0 => Value::Null,
            1 => json!(1),
            _ => json!(2),
        },
    );
    let cluster = edition == Some("Enterprise") && chance(rng, 50);
    registry.insert(
        "HKLM\\SYSTEM\\CurrentControlSet\\Services\\ClusSvc\\Start".into(),
        if cluster { json!(2) } else { Value::Null },
    );
    if chance(rng, 50) {
        for (id, yes) in [
            ("Q246009", q246009),
            ("Q299444", srp),
            ("Q301625", q301625),
            ("Q263490", q263490),
        ] {
            let yes = if chance(rng, 3) { !yes } else { yes };
            registry.insert(
                format!("{HOTFIX_KEY}{id}\\Installed"),
                if yes { json!(1) } else { Value::Null },
            );
        }
    }

    let files = nt4_files(rng, root, cipher, iis, intellipoint);
    let events = events(rng, true, exchange, cluster);
    let mut reported: Vec<&str> = Vec::new();
    if chance(rng, 12) {
        reported.push(
            [
                "DS_E_COMMUNICATIONS_PROBLEM",
                "STOP 0x0000000A IRQL_NOT_LESS_OR_EQUAL in Tcpip.sys",
                "Stop 0x0000000A in Netbt.sys",
                "STOP 0x0000001E KMODE_EXCEPTION_NOT_HANDLED at 0x8011303c in NetBT",
                "Stop 0x00000050 in Rdr.sys",
                "Error processing command",
                "HTTP 500 - Internal server error",
                "This certificate has an invalid digital signature",
                "net use: error 1788",
                "The trust relationship between the primary domain and the trusted domain failed",
                "Error code 0XC103FC93 (64659): Could not bind to the Microsoft Exchange Directory server.",
                "Backup job 164659 failed",
            ][rng.below(12) as usize],
        );
    }
    let mut doc = json!({
        "os": os,
        "env": env,
        "hotfixes": hotfixes,
        "software": software,
        "files": files,
        "registry": registry,
        "events": events,
        "reported_errors": reported,
    });
    if chance(rng, 4) {
        let (rule, symptom) = [
            ("KB322051", "no-connection"),
            ("Q307991", "no-http-ftp-connection"),
            ("KB310703", "dcom-rpc-program-hang"),
            ("KB306513", "hang-before-logon"),
            ("KB236414", "shares-not-accessible"),
            // A symptom the rule does not have: a note, not an observation.
            ("KB320392", "blue-screen"),
        ][rng.below(6) as usize];
        doc["reported_symptoms"] =
            json!([{"rule": rule, "symptom": symptom, "by": "help desk ticket 4711"}]);
    }
    doc
}

/// A file entry as a collector writes it.
fn file(path: String, size: u64, modified: &str, version: Option<&str>) -> Value {
    let mut f = json!({"path": path, "size": size, "modified": modified});
    if let Some(v) = version {
        f["version"] = json!(v);
    }
    f
}

/// A file looked for and not found.
fn absent(path: String) -> Value {
    json!({"path": path, "exists": false})
}

/// One of the builds of a file a host may have: (version, modified).
fn build<'a>(rng: &mut Rng, builds: &[(&'a str, &'a str)]) -> (&'a str, &'a str) {
    builds[rng.below(builds.len() as u64) as usize]
}

fn nt4_files(rng: &mut Rng, root: &str, cipher: i64, iis: bool, intellipoint: bool) -> Vec<Value> {
    let sys = format!("{root}\\System32");
    let drv = format!("{root}\\System32\\drivers");
    let bits = |rng: &mut Rng| if chance(rng, 30) { 56 } else { 128 };
    let mut files = Vec::new();
    // The security DLLs (KB 322051, 176820, 238185, 249863, 250867, 280119). Security.dll's
    // strength is told by its size and date in KB 322051's table.
    let schannel = if chance(rng, 90) { bits(rng) } else { cipher };
    let mut f = file(
        format!("{sys}\\schannel.dll"),
        if schannel == 128 { 164112 } else { 154384 },
        "2001-07-16T12:05:00Z",
        Some("5.0.1877.8"),
    );
    f["cipher_bits"] = json!(schannel);
    files.push(f);
    let mut f = file(
        format!("{sys}\\ntlmssps.dll"),
        36112,
        [
            "2001-07-16T12:05:00Z",
            "2000-11-22T15:20:00Z",
            "2000-01-05T02:55:00Z",
        ][rng.below(3) as usize],
        None,
    );
    f["cipher_bits"] = json!(bits(rng));
    files.push(f);
    let mut f = file(
        format!("{sys}\\security.dll"),
        59152,
        if chance(rng, 50) {
            "1999-11-18T12:04:00Z"
        } else {
            "1999-09-23T11:04:00Z"
        },
        None,
    );
    if chance(rng, 40) {
        f["cipher_bits"] = json!(bits(rng));
    }
    files.push(f);
    let mut f = file(
        format!("{drv}\\ndiswan.sys"),
        79664,
        "1999-10-14T00:00:00Z",
        Some("4.0.1381.6000"),
    );
    if chance(rng, 90) {
        f["cipher_bits"] = json!(if chance(rng, 80) {
            cipher
        } else {
            184 - cipher
        });
    }
    files.push(f);

    let dated = |rng: &mut Rng, path: String, size: u64, dates: &[&str]| {
        let d = dates[rng.below(dates.len() as u64) as usize];
        file(path, size, &format!("{d}T18:00:00Z"), Some("4.0.1381.7000"))
    };
    files.push(dated(
        rng,
        format!("{sys}\\Netlogon.dll"),
        192272,
        &["1999-05-01", "1999-10-11", "2001-01-03", "2001-06-01"],
    ));
    for (name, size) in [("Advapi32.dll", 247056), ("Msv1_0.dll", 48400)] {
        files.push(dated(
            rng,
            format!("{sys}\\{name}"),
            size,
            &["1999-11-30", "2000-09-25", "2001-07-26"],
        ));
    }
    files.push(dated(
        rng,
        format!("{drv}\\Mup.sys"),
        80688,
        &["1999-11-30", "2000-12-11"],
    ));
    for (name, size) in [("Netapi32.dll", 254736), ("Wkssvc.dll", 60176)] {
        files.push(dated(
            rng,
            format!("{sys}\\{name}"),
            size,
            &["1999-11-30", "2001-01-03", "2001-07-26"],
        ));
    }
    for (name, size, dates) in [
        ("Services.exe", 135440, ["1999-11-30", "2000-04-04"]),
        ("Winlogon.exe", 192272, ["1999-11-30", "2000-04-04"]),
    ] {
        files.push(dated(rng, format!("{sys}\\{name}"), size, &dates));
    }
    let (v, m) = build(
        rng,
        &[
            ("5.131.1877.7", "2000-03-01T10:00:00Z"),
            ("5.131.1877.9", "2001-07-05T15:04:00Z"),
            ("5.131.1878.2", "2002-02-01T10:00:00Z"),
        ],
    );
    files.push(file(format!("{sys}\\Crypt32.dll"), 371472, m, Some(v)));
    let (v, m) = build(
        rng,
        &[
            ("5.131.1877.7", "2000-03-01T10:00:00Z"),
            ("5.131.1877.9", "2000-06-27T19:57:00Z"),
        ],
    );
    files.push(file(format!("{sys}\\Softpub.dll"), 62736, m, Some(v)));
    for name in ["Samsrv.dll", "Lsasrv.dll"] {
        let path = format!("{sys}\\{name}");
        files.push(if chance(rng, 3) {
            absent(path)
        } else {
            file(path, 131344, "1999-11-30T00:00:00Z", Some("4.0.1381.7000"))
        });
    }
    let (v, m) = build(
        rng,
        &[
            ("4.0.1381.7000", "1999-11-30T00:00:00Z"),
            ("4.0.1381.7109", "2001-11-15T21:34:00Z"),
            ("4.0.1381.7179", "2002-07-18T03:49:00Z"),
        ],
    );
    files.push(file(format!("{drv}\\Tcpip.sys"), 174960, m, Some(v)));
    let (v, m) = build(
        rng,
        &[
            ("4.0.1381.7050", "2000-08-01T00:00:00Z"),
            ("4.0.1381.7097", "2001-10-16T22:14:00Z"),
        ],
    );
    files.push(file(format!("{sys}\\Rpcrt4.dll"), 343824, m, Some(v)));
    let (v, m) = build(
        rng,
        &[
            ("4.0.1381.7100", "2001-10-01T00:00:00Z"),
            ("4.0.1381.7124", "2002-01-22T04:13:00Z"),
            ("4.0.1381.7169", "2002-06-06T16:05:00Z"),
        ],
    );
    files.push(file(format!("{drv}\\Netbt.sys"), 124784, m, Some(v)));
    let path = format!("{sys}\\Nwwks.dll");
    files.push(if chance(rng, 25) {
        let (v, m) = build(
            rng,
            &[
                ("4.0.1381.7000", "1999-11-30T00:00:00Z"),
                ("4.0.1381.7125", "2002-01-22T15:50:00Z"),
            ],
        );
        file(path, 63760, m, Some(v))
    } else {
        absent(path)
    });
    let (v, m) = build(
        rng,
        &[
            ("4.0.1381.7080", "2001-03-01T00:00:00Z"),
            ("4.0.1381.7127", "2002-01-30T18:19:00Z"),
        ],
    );
    files.push(file(format!("{sys}\\Ole32.dll"), 701200, m, Some(v)));
    let path = format!("{drv}\\Cpqarray.sys");
    files.push(if chance(rng, 10) {
        let v = if chance(rng, 50) {
            "4.20.0.0"
        } else {
            "4.24.0.0"
        };
        file(path, 40000, "2001-05-01T00:00:00Z", Some(v))
    } else {
        absent(path)
    });
    let path = format!("{drv}\\Msi8042.old");
    files.push(if intellipoint && chance(rng, 40) {
        file(path, 20000, "1998-01-01T00:00:00Z", None)
    } else {
        absent(path)
    });
    let path = format!("{drv}\\raspptpe.sys");
    files.push(if chance(rng, 50) {
        file(path, 50000, "1999-11-30T00:00:00Z", Some("4.0.1381.7000"))
    } else {
        absent(path)
    });
    let (v, m) = build(
        rng,
        &[
            ("4.0.1381.7100", "2001-10-01T00:00:00Z"),
            ("4.0.1381.7176", "2002-06-27T13:47:00Z"),
        ],
    );
    files.push(file(format!("{drv}\\Rdr.sys"), 266192, m, Some(v)));
    if iis {
        let (v, m) = build(
            rng,
            &[
                ("4.2.700.1", "2000-01-01T00:00:00Z"),
                ("4.2.771.1", "2001-10-30T18:40:00Z"),
            ],
        );
        for name in [
            "ADSIIS.dll",
            "ASP.dll",
            "HTTPODBC.dll",
            "IISCHEMA.dll",
            "IISLOG.dll",
            "INFOCOMM.dll",
            "ISCOMLOG.dll",
            "SSINC.dll",
            "SSPIFILT.dll",
            "W3SVC.dll",
            "WAM.dll",
        ] {
            files.push(file(format!("{sys}\\inetsrv\\{name}"), 100000, m, Some(v)));
        }
    }
    files
}

/// A host's event log entries: everyday ones, and now and then one an article names.
fn events(rng: &mut Rng, nt4: bool, exchange: bool, cluster: bool) -> Vec<Value> {
    let event = |log: &str, source: &str, id: u32, kind: &str, category: &str, message: &str| {
        json!({"log": log, "source": source, "id": id, "type": kind, "category": category,
               "time": "2002-09-19T09:58:12Z", "message": message})
    };
    let mut list = Vec::new();
    for _ in 0..12 + rng.below(12) {
        list.push(match rng.below(4) {
            0 => event(
                "System",
                "Service Control Manager",
                7036,
                "Information",
                "None",
                "The Spooler service entered the running state.",
            ),
            1 => event(
                "System",
                "EventLog",
                6005,
                "Information",
                "None",
                "The Event log service was started.",
            ),
            2 => event(
                "Application",
                "Userenv",
                1000,
                "Error",
                "None",
                "Windows cannot determine the user or computer name. Return value (1722).",
            ),
            _ => event(
                "System",
                "Srv",
                2013,
                "Warning",
                "None",
                "The C: disk is at or near capacity.",
            ),
        });
    }
    if exchange {
        for _ in 0..rng.below(4) {
            let code = if chance(rng, 40) { 5 } else { 1722 };
            list.push(if chance(rng, 50) {
                event("Application", "MSExchangeMTA", 9318, "Warning", "Interface", &format!(
                    "An RPC communications error occurred. Unable to bind over RPC. Locality Table (LTAB) index: 7, NT/MTA error code: {code}. Comms error {code}, Bind error 0, Remote Server Name: EXCH2"))
            } else {
                event("Application", "MSExchangeMTA", 9322, "Warning", "Interface", &format!(
                    "An interface error has occurred. An MtaBindBack over RPC has failed. Locality Table (LTAB) index: 7, NT/MTA error code: {code}. Comms error {code}, Bind error 0"))
            });
        }
        if chance(rng, 10) {
            list.push(event("Application", "MSExchangeAdmin", 1008, "Error", "Move Mailbox",
                "Unable to move mailbox. Error: Could not bind to the Microsoft Exchange Directory server. The Microsoft Exchange Server does not respond."));
        }
    }
    if nt4 {
        if chance(rng, 8) {
            let bugcheck = [
                "0x0000000a (0x00000004, 0x00000002, 0x00000000, 0xf21b173d)",
                "0x0000000a (0x00000000, 0x00000002, 0x00000000, 0x80123456)",
                "0x0000001e (0xc0000005, 0x8011303c, 0x00000000, 0x00000000)",
                "0x00000050 (0xe1000000, 0x00000000, 0x00000000, 0x00000000)",
                "0x00000044 (0x81234567, 0x00000000, 0x00000000, 0x00000000)",
            ][rng.below(5) as usize];
            list.push(if chance(rng, 20) {
                // Read without the message DLL: the insertion strings alone.
                json!({"log": "System", "source": "Save Dump", "id": 1001, "type": "4",
                       "category_number": 0, "time": "2002-09-18T03:00:00Z",
                       "strings": [bugcheck, "C:\\WINNT\\MEMORY.DMP"]})
            } else {
                event("System", "Save Dump", 1001, "Information", "None", &format!(
                    "The computer has rebooted from a bugcheck.  The bugcheck was: {bugcheck}. Microsoft Windows NT [v15.1381]. A dump was saved in: C:\\WINNT\\MEMORY.DMP."))
            });
        }
        if chance(rng, 5) {
            list.push(event("System", "NetBT", 4320, "Error", "None",
                "The name \"DOMAIN         :1c\" could not be registered on the Interface with IP address 10.0.0.5. The machine with the IP address 10.0.0.9 did not allow the name to be claimed by this machine. Another machine has sent a name release message to this machine."));
        }
        if cluster && chance(rng, 30) {
            list.push(event("System", "ClusSvc", 1024, "Error", "(64)",
                "The registry checkpoint for cluster resource MSExchangeIS could not be restored to registry key HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Exchange."));
        }
        if chance(rng, 5) {
            list.push(event("Security", "Security", 577, "Failure Audit", "Privilege Use",
                "Privileged Service Called: Server: NT Local Security Authority / Authentication Service Service: LsaRegisterLogonProcess() Primary User Name: SYSTEM"));
        }
    }
    list
}

fn windows_2000(rng: &mut Rng, _name: &str) -> Value {
    let exchange = chance(rng, 35);
    let srp1 = chance(rng, 50);
    let mut software =
        vec![json!({"name": "Microsoft Internet Explorer", "version": "6.0.2800.1106"})];
    if exchange {
        software.push(json!({"name": "Microsoft Exchange Server", "version": "5.5.2653.23"}));
    }
    let mut hotfixes = vec!["Q147222".to_owned()];
    if srp1 {
        if chance(rng, 50) {
            software
                .push(json!({"name": "Windows 2000 Security Rollup Package 1", "version": "1"}));
        }
        hotfixes.push("Q311401".to_owned());
    }
    json!({
        "os": {"name": "Windows 2000 Server", "version": "5.0.2195",
               "service_pack": format!("Service Pack {}", 1 + rng.below(3)), "cipher_bits": 128},
        "env": {"SystemRoot": "C:\\WINNT", "windir": "C:\\WINNT", "NUMBER_OF_PROCESSORS": "2",
                "PROCESSOR_ARCHITECTURE": "x86"},
        "hotfixes": hotfixes,
        "software": software,
        "files": [file("C:\\WINNT\\System32\\drivers\\tcpip.sys".into(), 300000,
                       "2002-01-01T00:00:00Z", Some("5.0.2195.4000"))],
        "registry": {(LSA): 3},
        "events": events(rng, false, exchange, false),
        "reported_errors": [],
    })
}

fn other(rng: &mut Rng, _name: &str, os: &str, version: &str, build: u32) -> Value {
    json!({
        "os": {"name": os, "version": version, "build": build,
               "service_pack": format!("Service Pack {}", rng.below(3)), "cipher_bits": 128},
        "env": {"SystemRoot": "C:\\WINDOWS", "windir": "C:\\WINDOWS", "NUMBER_OF_PROCESSORS": "2",
                "PROCESSOR_ARCHITECTURE": "x86"},
        "hotfixes": ["Q147222"],
        "software": [{"name": "Microsoft Internet Explorer", "version": "6.0.2800.1106"}],
        "files": [file("C:\\WINDOWS\\System32\\drivers\\tcpip.sys".into(), 330000,
                       "2002-01-01T00:00:00Z", Some("5.1.2600.0"))],
        "registry": {(LSA): 3},
        "events": events(rng, false, false, false),
        "reported_errors": [],
    })
}
