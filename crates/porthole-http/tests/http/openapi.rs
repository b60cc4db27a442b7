//! The OpenAPI document is part of the contract integrators code against:
//! any change to it must be deliberate. Regenerate with
//! `UPDATE_SNAPSHOTS=1 cargo test -p porthole-http --test http openapi`.

use std::path::PathBuf;

use poem::http::StatusCode;
use serde_json::Value;

use crate::support::{Mocks, PUBLIC_URL, json};

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json")
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let client = Mocks::new().serve();
    let (status, document) = json(client.0.get("/api/openapi.json").send().await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["info"]["title"], "Porthole API");
    assert_eq!(document["servers"][0]["url"], PUBLIC_URL, "the public URL, without its trailing slash");
    assert!(document["paths"]["/api/v1/shipments/{id}/events"]["post"].is_object(), "paths carry the /api/v1 prefix");

    let rendered = format!("{}\n", serde_json::to_string_pretty(&document).expect("a document serializes"));
    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|value| value == "1") {
        std::fs::write(&path, &rendered).unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the snapshot {} ({error}); create it with UPDATE_SNAPSHOTS=1 cargo test -p porthole-http",
            path.display()
        )
    });
    let stored_document: Value = serde_json::from_str(&stored).unwrap_or(Value::Null);
    if stored_document != document {
        let first_difference = stored
            .lines()
            .zip(rendered.lines())
            .enumerate()
            .find(|(_, (old, new))| old != new)
            .map(|(index, (old, new))| format!("line {}:\n  snapshot: {old}\n  now:      {new}", index + 1))
            .unwrap_or_else(|| "one document is longer than the other".to_owned());
        panic!(
            "the OpenAPI document changed ({first_difference}).\n\
             If the change is intended, review it and update the snapshot with\n\
             UPDATE_SNAPSHOTS=1 cargo test -p porthole-http --test http openapi\n\
             then commit {}.",
            path.display()
        );
    }
}
