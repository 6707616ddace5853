//! The built-in content pack: the team's rule files under `rules/` in the repository, built
//! into the binary.

use anyhow::Result;
use std::path::Path;

/// (file name, text) of every built-in rule file.
const FILES: &[(&str, &str)] = &[
    (
        "impossible-travel.yaml",
        include_str!("../../../rules/impossible-travel.yaml"),
    ),
    (
        "mfa-fatigue.yaml",
        include_str!("../../../rules/mfa-fatigue.yaml"),
    ),
    (
        "network-alert-ip-then-signin.yaml",
        include_str!("../../../rules/network-alert-ip-then-signin.yaml"),
    ),
    (
        "new-country-signin.yaml",
        include_str!("../../../rules/new-country-signin.yaml"),
    ),
    (
        "password-spray-success.yaml",
        include_str!("../../../rules/password-spray-success.yaml"),
    ),
    (
        "signin-asn-mismatch.yaml",
        include_str!("../../../rules/signin-asn-mismatch.yaml"),
    ),
    (
        "sp-credential-foreign-signin-defender.yaml",
        include_str!("../../../rules/sp-credential-foreign-signin-defender.yaml"),
    ),
    (
        "sp-credential-foreign-signin-sentinel.yaml",
        include_str!("../../../rules/sp-credential-foreign-signin-sentinel.yaml"),
    ),
    (
        "sp-signin-many-ips.yaml",
        include_str!("../../../rules/sp-signin-many-ips.yaml"),
    ),
    (
        "suspicious-cloud-account-signin.yaml",
        include_str!("../../../rules/suspicious-cloud-account-signin.yaml"),
    ),
    (
        "ueba-anomalous-account-signin.yaml",
        include_str!("../../../rules/ueba-anomalous-account-signin.yaml"),
    ),
];

pub fn rules() -> Result<Vec<detect::Rule>> {
    let mut out = Vec::new();
    for (name, text) in FILES {
        let rs = detect::rule::parse_text(text, Path::new(&format!("builtin:{name}")))
            .map_err(|e| anyhow::anyhow!("built-in rule {e}"))?;
        out.extend(rs);
    }
    Ok(out)
}
