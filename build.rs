//! Embeds the rule files in `kb/`, and the rule tests beside them, into the binary, so `kbdiag`
//! works from any folder.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=kb");
    let mut names: Vec<String> = fs::read_dir("kb")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let list = |tests: bool| {
        let mut out = String::new();
        for name in names.iter().filter(|n| n.contains(".tests.") == tests) {
            let path = Path::new(&manifest).join("kb").join(name);
            out.push_str(&format!(
                "    ({:?}, include_str!({:?})),\n",
                format!("kb/{name}"),
                path.display().to_string()
            ));
        }
        out
    };
    let out = format!(
        "/// Rule files built in from `kb/`: (name, text).\n\
         pub const BUILTIN: &[(&str, &str)] = &[\n{}];\n\
         /// Rule tests built in from `kb/`: (name, text).\n\
         pub const BUILTIN_TESTS: &[(&str, &str)] = &[\n{}];\n",
        list(false),
        list(true)
    );
    for name in &names {
        println!("cargo:rerun-if-changed=kb/{name}");
    }
    let dest =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
