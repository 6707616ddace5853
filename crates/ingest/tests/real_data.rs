//! Every real third-party export in ../shared/data/real ingests with zero rejects into the right
//! tables, with spot-checked values. Skips when ../shared is absent.

mod common;
use common::*;
use serde_json::json;

#[test]
fn real_exports_ingest_without_rejects() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared/data/real is absent");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let summary = ingest_paths(
        &root,
        &[shared.join("data/real")],
        &ingest::Options::default(),
    );
    for f in &summary.files {
        if f.path.extension().is_some_and(|e| e == "md") {
            assert!(f.skipped.is_some(), "PROVENANCE.md is not an export");
            continue;
        }
        assert!(f.error.is_none(), "{}: {:?}", f.path.display(), f.error);
        assert_eq!(f.rejected, 0, "{}: rejects", f.path.display());
    }
    let count = |t: &str| scalar(&root, &format!("{t} | count"));
    assert_eq!(count("AuditLogs"), json!(5 + 4));
    assert_eq!(count("AzureActivity"), json!(23));
    assert_eq!(count("OfficeActivity"), json!(266 + 2 + 1));
    assert_eq!(count("SigninLogs"), json!(4 + 1 + 1));
    assert_eq!(count("CommonSecurityLog"), json!(1 + 2));
    assert_eq!(count("DeviceEvents"), json!(5));
    assert_eq!(count("IdentityDirectoryEvents"), json!(2));
    assert_eq!(count("CloudAppEvents"), json!(2));

    // Log Analytics CSV: US datetimes, TRUE/FALSE, pretty JSON cells made dynamic.
    assert_eq!(
        scalar(
            &root,
            "AzureActivity | where EventDataId == '6f5ca24c-de95-451a-b91e-7a7ab209c28b' | project TimeGenerated == datetime(2021-04-28T14:32:14.029Z)"
        ),
        json!(true)
    );
    assert_eq!(
        scalar(
            &root,
            "SigninLogs | where ResultType == 50057 and IsInteractive == true | summarize dcount(tostring(LocationDetails.countryOrRegion))"
        ),
        json!(1)
    );
    // Graph beta sign-in page: status.errorCode → ResultType as a string, location → LocationDetails.
    assert_eq!(
        scalar(
            &root,
            "SigninLogs | where ResultType == '50126' | project strcat(Location, '/', LocationDetails.city, '/', gettype(ResultType))"
        ),
        json!("US/Redmond/string")
    );
    // The en dash of the real audit operation survives.
    assert_eq!(
        scalar(
            &root,
            "AuditLogs | where OperationName has 'Certificates and secrets management' | count"
        ),
        json!(5 + 2)
    );
    // Defender union rows without a Type: split columns merged back, routed by their columns.
    assert_eq!(
        scalar(&root, "DeviceEvents | summarize max(ReportId)"),
        json!(113771)
    );
    assert_eq!(
        scalar(
            &root,
            "CloudAppEvents | where ActionType == 'MailItemsAccessed' | project UserAgent"
        ),
        json!("Client=REST;;")
    );
    // Re-ingesting the same files adds nothing.
    let again = ingest_paths(
        &root,
        &[shared.join("data/real")],
        &ingest::Options::default(),
    );
    assert_eq!(again.rows(), 0);
    assert_eq!(count("AzureActivity"), json!(23));
}
