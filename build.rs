//! Embeds every rule file in `kb/` into the binary, so `kbdiag` works from any folder.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=kb");
    let mut names: Vec<String> = fs::read_dir("kb")
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| (n.ends_with(".yaml") || n.ends_with(".yml")) && !n.contains(".tests."))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let mut out = String::from(
        "/// Rule files built in from `kb/`: (name, text).\npub const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for name in names {
        let path = Path::new(&manifest).join("kb").join(&name);
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({:?}, include_str!({:?})),\n",
            format!("kb/{name}"),
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtin_rules.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
