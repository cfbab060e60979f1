//! The API fuzzed from its own OpenAPI document, the way schemathesis would: for every
//! operation the document lists, requests built from its schemas — path ids of the demo
//! company's real records (or another company's, or none), query values, JSON bodies
//! generated from the request schema then given hostile values, bodies that are not
//! JSON, no token or a forged one. Every answer must be below 500, and its status must
//! be one the document lists for that operation.
//!
//! `COMPTOIR_OPENAPI_FUZZ=N` sends N requests per operation (default 60).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]
#![allow(clippy::print_stderr, reason = "the figures of the run")]

use std::collections::{BTreeMap, BTreeSet};

use comptoir_core::demo::Rng;
use comptoir_core::model::Role;
use comptoir_core::sync::{AddMember, PullPage, SyncClient};
use comptoir_tests::checks::signed_in;
use comptoir_tests::fuzz::{self, Pools};
use comptoir_tests::{Backend, TestServer};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// One operation of the document.
struct Operation {
    method: reqwest::Method,
    path: String,
    parameters: Vec<Value>,
    body: Option<Value>,
    documented: BTreeSet<u16>,
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else { continue };
            let documented =
                operation["responses"].as_object().unwrap().keys().filter_map(|status| status.parse().ok()).collect();
            out.push(Operation {
                method,
                path: path.clone(),
                parameters: operation["parameters"].as_array().cloned().unwrap_or_default(),
                body: operation.pointer("/requestBody/content/application~1json/schema").cloned(),
                documented,
            });
        }
    }
    out
}

/// Values built from JSON schemas, with the ids of real records where a uuid is asked.
struct Generator<'a> {
    document: &'a Value,
    ids: Vec<Uuid>,
}

impl Generator<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(pointer) => self.document.pointer(&format!("/{pointer}")).unwrap_or(&Value::Null),
            None => schema,
        }
    }

    fn value(&self, rng: &mut Rng, schema: &Value, depth: u32) -> Value {
        let schema = self.resolve(schema);
        if depth > 8 {
            return Value::Null;
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(choices) = schema[key].as_array().filter(|c| !c.is_empty()) {
                let choice = rng.pick(choices).clone();
                return self.value(rng, &choice, depth + 1);
            }
        }
        if let Some(parts) = schema["allOf"].as_array() {
            let mut merged = Map::new();
            for part in parts {
                if let Value::Object(map) = self.value(rng, part, depth + 1) {
                    merged.extend(map);
                }
            }
            return Value::Object(merged);
        }
        if let Some(choices) = schema["enum"].as_array().filter(|c| !c.is_empty()) {
            return rng.pick(choices).clone();
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect(),
            _ if schema["properties"].is_object() => vec!["object"],
            _ => vec!["string"],
        };
        match types.first().copied().unwrap_or("null") {
            "object" => {
                let required: BTreeSet<&str> = schema["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut map = Map::new();
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    if required.contains(name.as_str()) || rng.chance(50) {
                        map.insert(name.clone(), self.value(rng, property, depth + 1));
                    }
                }
                Value::Object(map)
            }
            "array" => (0..rng.below(3)).map(|_| self.value(rng, &schema["items"], depth + 1)).collect(),
            "integer" => {
                let min = schema["minimum"].as_i64().unwrap_or(0);
                json!(*rng.pick(&[min, min + 1, 100, 1_000_000, i64::MAX]))
            }
            "number" => json!(*rng.pick(&[0.0, 1.5, 100.0])),
            "boolean" => json!(rng.chance(50)),
            _ => self.string(rng, schema),
        }
    }

    fn string(&self, rng: &mut Rng, schema: &Value) -> Value {
        match schema["format"].as_str() {
            Some("uuid") => json!(self.ids[usize::try_from(rng.below(self.ids.len() as u64)).unwrap()]),
            Some("date") => json!("2026-11-30"),
            Some("date-time") => json!("2026-11-30T10:00:00Z"),
            Some("email") => json!(format!("fuzz{}@example.fr", rng.below(1_000))),
            _ => match schema["examples"].as_array().and_then(|e| e.first()) {
                Some(example) if rng.chance(50) => example.clone(),
                _ => json!(*rng.pick(&[
                    "",
                    "texte",
                    "FR",
                    "EUR",
                    "owner",
                    "sales",
                    "123456",
                    "0",
                    "x".repeat(300).as_str()
                ])),
            },
        }
    }
}

#[allow(clippy::too_many_lines, reason = "one walk over the operations, in the order a reader follows it")]
async fn every_operation_answers_what_its_document_says(backend: Backend) {
    // The fuzz signs in again before each operation, and sends hundreds of sign-ins: a
    // wider sign-in budget for this one address than the default (the 429 it would answer
    // is documented, but the test's own sign-ins need to get through).
    let server = tokio::task::spawn_blocking(move || {
        TestServer::builder().backend(backend).demo(200).limits(comptoir_tests::generous_limits()).start()
    })
    .await
    .unwrap()
    .unwrap();
    let (email, password) = (server.accounts.email.clone(), server.accounts.password.clone());
    let (a, b) = (server.company(), server.accounts.companies[0].0);
    // A new connection per request: a server may close one after answering a request
    // whose body it did not read (a 400 for its path), which a pooled connection would
    // only learn on its next request.
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let document: Value =
        http.get(format!("{}/v1/openapi.json", server.url)).send().await.unwrap().json().await.unwrap();

    // Real ids: both companies, their records and members, and ids of nothing.
    let token = signed_in(&server.url, &email, &password).await.1;
    let mut pools = Pools::default();
    let mut ids = vec![a.0, b.0, Uuid::nil(), Uuid::now_v7()];
    for company in [a, b] {
        let url = format!("{}/v1/companies/{company}/sync/pull?after=0&limit=1000", server.url);
        let page: PullPage = http.get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        if company == a {
            pools.absorb(&page.changes);
        } else {
            pools.foreign = page.changes.iter().map(|c| c.id).collect();
        }
        ids.extend(page.changes.iter().map(|c| c.id).take(200));
    }
    let members: Value = http
        .get(format!("{}/v1/companies/{a}/members", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let member_ids: Vec<Uuid> =
        members.as_array().unwrap().iter().filter_map(|m| m["user_id"].as_str()?.parse::<Uuid>().ok()).collect();
    assert!(!member_ids.is_empty());
    ids.extend(&member_ids);
    let generator = Generator { document: &document, ids };

    let per_operation: u64 = std::env::var("COMPTOIR_OPENAPI_FUZZ").ok().and_then(|n| n.parse().ok()).unwrap_or(60);
    let mut rng = Rng::new(u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(7));
    let mut undocumented: BTreeMap<String, String> = BTreeMap::new();
    let mut statuses: BTreeMap<String, BTreeMap<u16, u32>> = BTreeMap::new();
    let mut operations = operations(&document);
    assert!(operations.len() >= 18, "{} operations", operations.len());
    // Moving the company freezes it: every change after is refused (`company_moved`), so
    // the move goes last, and the other operations are fuzzed on a company that takes
    // changes.
    operations.sort_by_key(|operation| operation.path.ends_with("/move"));
    for operation in &operations {
        let name = format!("{} {}", operation.method, operation.path);
        // A fresh session for each operation: the one before may have signed out. The
        // account's own operations (wrong current passwords count as failed sign-ins, and
        // lock the account) run as a new member of their own.
        let token = if operation.path.starts_with("/v1/account") || operation.path.starts_with("/v1/auth") {
            let member = format!("fuzz-{}@example.fr", Uuid::now_v7().simple());
            let mut owner = SyncClient::new(&server.url).unwrap();
            owner.set_access_token(Some(signed_in(&server.url, &email, &password).await.1));
            let added = owner
                .add_member(a, &AddMember { email: member.clone(), role: Role::Sales, display_name: None })
                .await
                .unwrap();
            signed_in(&server.url, &member, &added.initial_password.unwrap()).await.1
        } else {
            signed_in(&server.url, &email, &password).await.1
        };
        for _ in 0..per_operation {
            let mut path = operation.path.clone();
            let mut query = Vec::new();
            for parameter in &operation.parameters {
                let name = parameter["name"].as_str().unwrap();
                // Mostly the company the token is a member of, and one of its members.
                let value = if name == "company" && rng.chance(75) {
                    json!(if rng.chance(90) { a } else { b })
                } else if name == "user" && rng.chance(75) {
                    json!(rng.pick(&member_ids))
                } else if rng.chance(85) {
                    generator.value(&mut rng, &parameter["schema"], 0)
                } else {
                    json!(*rng.pick(&["not-a-uuid", "-1", "", "%00", "99999999999999999999999"]))
                };
                let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                match parameter["in"].as_str() {
                    Some("path") => path = path.replace(&format!("{{{name}}}"), &text),
                    Some("query") if rng.chance(80) => query.push((name.to_owned(), text)),
                    _ => {}
                }
            }
            let url = reqwest::Url::parse_with_params(&format!("{}{path}", server.url), &query).unwrap();
            let mut request = http.request(operation.method.clone(), url);
            request = match rng.below(10) {
                0 => request,
                1 => request.bearer_auth("forged.token.value"),
                _ => request.bearer_auth(&token),
            };
            let mut sent = String::new();
            if let Some(schema) = &operation.body {
                request = match rng.below(10) {
                    0 => request.header("content-type", "text/plain").body("bonjour"),
                    1 => request.header("content-type", "application/json").body("{\"unterminated\": "),
                    2 => request,
                    _ => {
                        let mut body = generator.value(&mut rng, schema, 0);
                        if rng.chance(50) {
                            fuzz::mutate(&mut rng, &mut body, &pools);
                        }
                        sent = body.to_string();
                        request.json(&body)
                    }
                };
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let answer = response.text().await.unwrap_or_default();
            assert!(status < 500, "{name} answered {status}: {answer}\nsent {path}?{query:?} {sent}");
            *statuses.entry(name.clone()).or_default().entry(status).or_default() += 1;
            if !operation.documented.contains(&status) {
                undocumented.entry(format!("{name} → {status}")).or_insert_with(|| format!("{answer} (sent {sent})"));
            }
        }
    }
    eprintln!("statuses per operation: {statuses:#?}");
    assert!(undocumented.is_empty(), "answers the document does not list: {undocumented:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_what_its_document_says_on_sqlite() {
    every_operation_answers_what_its_document_says(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_answers_what_its_document_says_on_postgres() {
    every_operation_answers_what_its_document_says(Backend::Postgres).await;
}
