//! The built-in content pack: every rule validates against the built-in table schemas, and
//! every fixture under rules/tests gives the alerts its expect.yaml names
//! (`peregrine rules test`).

use std::path::Path;
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_peregrine"))
        .args(args)
        .current_dir(repo())
        .env_remove("PEREGRINE_STORE")
        .output()
        .expect("peregrine runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn pack_rules_validate_against_builtin_schemas() {
    let (ok, text) = run(&["rules", "validate", "--schemas", "rules"]);
    assert!(ok, "{text}");
    assert!(text.contains(" 0 problem(s)"), "{text}");
}

#[test]
fn every_pack_fixture_passes() {
    let (ok, text) = run(&["rules", "test"]);
    assert!(ok, "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    // Every built-in rule file has fixtures, so the runner saw at least two cases per rule.
    let rules = std::fs::read_dir(repo().join("rules"))
        .expect("rules/ exists")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .count();
    let passed: usize = text.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(
        rules >= 10 && passed >= 2 * rules,
        "{rules} rules, {passed} cases\n{text}"
    );
}

#[test]
fn the_same_fixtures_pass_when_named_as_paths() {
    let (ok, text) = run(&["rules", "test", "rules"]);
    assert!(ok, "{text}");
}

#[test]
fn a_wrong_expectation_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path();
    std::fs::copy(
        repo().join("rules/mfa-fatigue.yaml"),
        rules.join("mfa-fatigue.yaml"),
    )
    .expect("copy rule");
    for case in ["push-bombing-then-approval", "normal-mfa-and-no-success"] {
        let from = repo().join("rules/tests/mfa-fatigue").join(case);
        let to = rules.join("tests/mfa-fatigue").join(case);
        std::fs::create_dir_all(&to).expect("mkdir");
        for f in std::fs::read_dir(&from).expect("case dir").flatten() {
            std::fs::copy(f.path(), to.join(f.file_name())).expect("copy");
        }
    }
    let expect = rules.join("tests/mfa-fatigue/push-bombing-then-approval/expect.yaml");
    let text = std::fs::read_to_string(&expect).expect("read");
    std::fs::write(&expect, text.replace("Name: carol", "Name: mallory")).expect("write");
    let path = rules.to_string_lossy().to_string();
    let (ok, text) = run(&["rules", "test", &path]);
    assert!(!ok, "{text}");
    assert!(text.contains("no alert has entity"), "{text}");
    assert!(text.contains("1 failed"), "{text}");
}
