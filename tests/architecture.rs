//! The crate map of ARCHITECTURE.md, checked: which role crate may depend on which, and
//! what each role's build must never carry (a hub without Slint or the camera stack, a
//! station without the PostgreSQL client). Reads `cargo metadata` and `cargo tree`, so a
//! forbidden edge fails here before it reaches a package.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each workspace crate and the workspace crates it may use. Dependencies point down
/// this list: core at the bottom, the binary at the top.
const ALLOWED: &[(&str, &[&str])] = &[
    ("tagstation-core", &[]),
    ("tagstation-systemd", &[]),
    ("tagstation-labels", &["tagstation-core"]),
    ("tagstation-sql", &["tagstation-core"]),
    ("tagstation-ops", &["tagstation-core"]),
    (
        "tagstation-station",
        &["tagstation-core", "tagstation-sql", "tagstation-ops"],
    ),
    ("tagstation-inputs", &["tagstation-core"]),
    (
        "tagstation-hub",
        &[
            "tagstation-core",
            "tagstation-sql",
            "tagstation-ops",
            "tagstation-systemd",
        ],
    ),
    // Reminders read the hub's catalog and keep their log in its database.
    ("tagstation-remind", &["tagstation-core", "tagstation-hub"]),
    (
        "tagstation-web",
        &[
            "tagstation-core",
            "tagstation-ops",
            "tagstation-hub",
            "tagstation-labels",
            "tagstation-remind",
        ],
    ),
    // The MCP server: its tools over `ops`; the station's stdio server (feature
    // `station`) and the hub's `/mcp` (feature `hub`) each take one side only.
    (
        "tagstation-mcp",
        &[
            "tagstation-core",
            "tagstation-ops",
            "tagstation-station",
            "tagstation-hub",
        ],
    ),
    (
        "tagstation-kiosk",
        &[
            "tagstation-core",
            "tagstation-ops",
            "tagstation-station",
            "tagstation-inputs",
            "tagstation-systemd",
            "tagstation-labels",
        ],
    ),
    (
        "tagstation",
        &[
            "tagstation-core",
            "tagstation-sql",
            "tagstation-ops",
            "tagstation-systemd",
            "tagstation-labels",
            "tagstation-station",
            "tagstation-inputs",
            "tagstation-hub",
            "tagstation-remind",
            "tagstation-web",
            "tagstation-kiosk",
            "tagstation-mcp",
        ],
    ),
];

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("cargo prints UTF-8")
}

#[test]
fn workspace_crates_depend_only_downwards() {
    let meta: serde_json::Value =
        serde_json::from_str(&cargo(&["metadata", "--format-version", "1", "--no-deps"]))
            .expect("cargo metadata is JSON");
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(k, v)| (*k, v.iter().copied().collect()))
        .collect();
    let packages = meta["packages"].as_array().expect("packages");
    let members: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut wrong = Vec::new();
    for p in packages {
        let name = p["name"].as_str().expect("name");
        let Some(ok) = allowed.get(name) else {
            wrong.push(format!(
                "{name} is not on the crate map (tests/architecture.rs, ARCHITECTURE.md)"
            ));
            continue;
        };
        for d in p["dependencies"].as_array().expect("dependencies") {
            let dep = d["name"].as_str().expect("dependency name");
            // Dev-dependencies may reach further (a test harness needs the test hooks).
            if d["kind"].as_str() == Some("dev") || !members.contains(dep) {
                continue;
            }
            if !ok.contains(dep) {
                wrong.push(format!("{name} -> {dep}"));
            }
        }
    }
    assert!(wrong.is_empty(), "forbidden dependencies: {wrong:#?}");
}

/// The crates (normal dependencies only) of the binary built with `features`.
fn tree(features: &str) -> BTreeSet<String> {
    tree_for(features, &[])
}

/// The same, with more `cargo tree` arguments (a `--target`).
fn tree_for(features: &str, more: &[&str]) -> BTreeSet<String> {
    let mut args = vec![
        "tree",
        "-p",
        "tagstation",
        "--no-default-features",
        "--features",
        features,
        "-e",
        "normal",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ];
    args.extend_from_slice(more);
    cargo(&args)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_hub_build_carries_no_ui_decoders_or_camera_stack() {
    let crates = tree("hub");
    let carried: Vec<&str> = ["slint", "rxing", "rqrr", "nokhwa", "evdev", "rppal"]
        .into_iter()
        .filter(|c| crates.contains(*c))
        .collect();
    assert!(carried.is_empty(), "the hub build carries {carried:?}");
    assert!(crates.contains("tagstation-hub") && crates.contains("postgres"));
    assert!(crates.contains("tagstation-web") && crates.contains("askama"));
    assert!(crates.contains("tagstation-remind") && crates.contains("lettre"));
}

#[test]
fn a_station_build_carries_no_postgres_client() {
    for features in ["station", "kiosk", "kiosk hid camera gpio linuxkms"] {
        let crates = tree(features);
        let carried: Vec<&str> = [
            "postgres",
            "tokio-postgres",
            "tagstation-hub",
            "tagstation-web",
            "tagstation-remind",
            "lettre",
            "axum",
            "askama",
        ]
        .into_iter()
        .filter(|c| crates.contains(*c))
        .collect();
        assert!(
            carried.is_empty(),
            "the {features:?} build carries {carried:?}"
        );
        assert!(crates.contains("tagstation-station"));
        assert!(crates.contains("tagstation-mcp") && crates.contains("rmcp"));
        // `tagstation labels`: a station prints without a hub.
        assert!(crates.contains("tagstation-labels") && crates.contains("pdf-writer"));
    }
}

/// The Pi's binary as `scripts/aarch64` builds it (`kiosk` and deploy/ci-features.txt, for
/// aarch64): no hub, no server, no PostgreSQL client.
#[test]
fn the_pi_build_carries_no_hub() {
    let hardware = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/ci-features.txt"),
    )
    .expect("deploy/ci-features.txt");
    let features = format!(
        "kiosk {}",
        hardware.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    let crates = tree_for(&features, &["--target", "aarch64-unknown-linux-gnu"]);
    let carried: Vec<&str> = [
        "tagstation-hub",
        "tagstation-web",
        "askama",
        "axum",
        "postgres",
        "tokio-postgres",
    ]
    .into_iter()
    .filter(|c| crates.contains(*c))
    .collect();
    assert!(carried.is_empty(), "the Pi build carries {carried:?}");
    assert!(crates.contains("tagstation-kiosk") && crates.contains("rppal"));
    assert!(
        crates.contains("tagstation-mcp"),
        "the Pi's `tagstation mcp`"
    );
}
