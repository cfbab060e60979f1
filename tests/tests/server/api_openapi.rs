//! The OpenAPI document served at /v1/openapi.json describes every endpoint, and every
//! schema it refers to is defined in it.

use reqwest::StatusCode;
use serde_json::Value;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref" {
                    out.push(v.as_str().unwrap().to_owned());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_covers_every_endpoint_and_resolves() {
    let (server, _) = crate::empty_server();
    let (status, doc) = server.get("/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut operations: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().unwrap().keys().map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    operations.sort();
    let mut expected = vec![
        "GET /v1/health",
        "POST /v1/auth/login",
        "POST /v1/auth/totp",
        "POST /v1/auth/refresh",
        "POST /v1/auth/logout",
        "GET /v1/account",
        "POST /v1/account/password",
        "POST /v1/account/totp/setup",
        "POST /v1/account/totp/enable",
        "POST /v1/account/totp/disable",
        "GET /v1/companies/{company}/members",
        "POST /v1/companies/{company}/members",
        "PUT /v1/companies/{company}/members/{user}",
        "DELETE /v1/companies/{company}/members/{user}",
        "GET /v1/companies/{company}/sync/status",
        "GET /v1/companies/{company}/sync/pull",
        "GET /v1/companies/{company}/sync/snapshot",
        "GET /v1/companies/{company}/sync/copy",
        "POST /v1/companies/{company}/sync/push",
        "POST /v1/companies/{company}/accounting/postings",
        "PUT /v1/companies/{company}/accounting/postings/{posting}/parts/{part}",
        "POST /v1/companies/{company}/accounting/postings/{posting}/commit",
        "POST /v1/companies/{company}/move",
        "GET /v1/companies/{company}/archive",
        "PUT /v1/companies/{company}/archive",
        "POST /v1/pair/claim",
        "POST /v1/pair/code",
        "POST /v1/pair/code/confirm",
        "POST /v1/pair/resume",
    ];
    expected.sort_unstable();
    assert_eq!(operations, expected);

    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "ErrorBody",
        "Intent",
        "Mutation",
        "PullPage",
        "Contact",
        "Document",
        "Payment",
        "AuditRecord",
        "PostBatch",
        "PostingPart",
        "PartReceipt",
        "PostingCommit",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for reference in all {
        let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{reference}"));
        assert!(schemas.contains_key(name), "dangling reference {reference}");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");

    // The audit chain's signature: the key in the status, the signed head on the pull page.
    let audit_key = &schemas["SyncStatus"]["properties"]["audit_key"];
    assert!(audit_key["description"].as_str().unwrap().contains("ed25519"), "{audit_key}");
    assert!(schemas["PullPage"]["properties"]["audit_head"].to_string().contains("SignedAuditHead"));
    let head = &schemas["SignedAuditHead"]["properties"];
    for field in ["company_id", "seq", "hash", "signed_at", "key", "signature"] {
        assert!(head.get(field).is_some(), "SignedAuditHead.{field} missing");
    }
    assert!(head["signature"]["description"].as_str().unwrap().contains("comptoir-audit-head-v1"));
}
