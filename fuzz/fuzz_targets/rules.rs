//! Rule loading (YAML, schema check, typed parse, Rhai compilation, lint) on arbitrary bytes: no
//! panic, and a refusal always says why.
#![no_main]

use libfuzzer_sys::fuzz_target;

thread_local! {
    // One sandbox for every input, as `kbdiag check` uses one for every file.
    static SANDBOX: kbdiag::engine::script::Sandbox = kbdiag::engine::script::Sandbox::new();
}

fuzz_target!(|data: &[u8]| {
    let file = kbdiag::rules::kb::RuleFile {
        name: "fuzz.yaml".into(),
        bytes: data.to_vec(),
    };
    SANDBOX.with(|sandbox| {
        if let Err(problems) = kbdiag::evaluate::compile::load(sandbox, std::slice::from_ref(&file)) {
            assert!(!problems.is_empty());
        }
    });
});
