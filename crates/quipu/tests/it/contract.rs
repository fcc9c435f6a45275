//! The API contract is true: every operation the served OpenAPI document lists takes the
//! requests its schemas allow and answers what its schemas say, on every backend.
//!
//! Requests are built from the document alone: each field's example, or, where no fixed
//! example can be valid (a payment code, a merchant's QR, a card, an agent's id), a resource
//! this story set up. Path ids are fresh, so many answers are 404s: that is fine, since a
//! body is parsed before its resource is looked up, and a body the schema allows must never
//! be refused as malformed. For each operation:
//! - a body with only the required fields and one with every field are never answered 400,
//!   413 or 415, nor 5xx, and every success is documented and conforms to its response schema;
//! - the fields the handler takes (serde names them when it refuses an unknown one) are exactly
//!   the schema's properties, and secrets are `writeOnly`, `format: password`;
//! - a query parameter the document does not list is refused;
//! - every answer an operation can give is documented, an error as `application/problem+json`,
//!   and every parameter is constrained to what the server takes (the rest is `.ci/contract-fuzz`).

use std::collections::{BTreeMap, BTreeSet};

use quipu_testkit::multipart::{Part, multipart};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::harness::{Person, TestApp, on_each_backend};
use crate::harness::{Phone, enroll, shop};

/// A field and a query parameter no operation has.
const PROBE: &str = "contract_probe";

/// What the story set up: a caller for every role, and the resources no example can name.
struct World {
    operator: String,
    agent: Person,
    merchant_owner: String,
    customer: Person,
    payee: Person,
    courier: Person,
    phone: Phone,
    qr_payload: String,
    card_number: String,
}

impl World {
    async fn set_up(app: &TestApp) -> Self {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120001", "500.00").await;
        let customer = app.customer("+15550120002").await;
        let payee = app.customer("+15550120003").await;
        app.cash_in(&agent, &customer.phone, "200.00").await;
        let shop = shop(app, &operator, "Contract Shop", 41, 100).await;
        let phone = enroll(app, &customer).await;
        let profile = json!({"city": "Lima", "category_code": "5912"});
        let (status, body) =
            app.request(Method::PUT, "/merchant/profile", Some(&shop.owner), None, Some(profile)).await;
        assert!(status < 300, "{body}");
        let (status, qr) = app.get("/merchant/qr", &shop.owner).await;
        assert_eq!(status, 200, "{qr}");
        let (status, card) = app.post_key("/agent/cards", &agent.token, "contract-card", json!({"pin": "2580"})).await;
        assert_eq!(status, 201, "{card}");
        let courier =
            crate::harness::delivery::courier(app, &operator, "+15550120004", json!({"vehicle": "foot"})).await;
        Self {
            operator,
            agent,
            merchant_owner: shop.owner,
            customer,
            payee,
            courier,
            phone,
            qr_payload: qr["payload"].as_str().unwrap().to_owned(),
            card_number: card["number"].as_str().unwrap().to_owned(),
        }
    }

    /// The value of a field no fixed example can make valid.
    fn resource(&self, app: &TestApp, field: &str) -> Option<Value> {
        let value = match field {
            "code" => self.phone.code(app, 3),
            "payload" => self.qr_payload.clone(),
            "number" => self.card_number.clone(),
            "agent_id" => self.agent.id.clone(),
            "to_phone" | "customer_phone" | "holder_phone" => self.payee.phone.clone(),
            _ => return None,
        };
        Some(Value::String(value))
    }

    /// Who calls an operation: operators, agents, merchants and couriers their own paths, customers
    /// the rest.
    async fn caller(&self, app: &TestApp, method: &Method, path: &str, operation: &Value) -> Option<String> {
        operation.get("security")?;
        let path = path.trim_start_matches("/api/v1");
        let token = if (method, path) == (&Method::POST, "/auth/logout") {
            // Logging out ends the session it names: a session of its own.
            app.login(&self.customer.phone, "customer-password").await
        } else if path.starts_with("/operator") {
            self.operator.clone()
        } else if path.starts_with("/agent") {
            self.agent.token.clone()
        } else if path.starts_with("/merchant") {
            self.merchant_owner.clone()
        } else if path.starts_with("/courier") {
            self.courier.token.clone()
        } else {
            self.customer.token.clone()
        };
        Some(token)
    }
}

/// One request as sent, and what came back.
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

async fn send(app: &TestApp, method: &Method, url: &str, token: Option<&str>, body: Option<&Value>) -> Answer {
    let mut request = app.client.request(method.clone(), format!("{}{url}", app.base()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request = request.header("idempotency-key", uuid::Uuid::now_v7().to_string());
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned()).unwrap_or_default();
    // A live event stream never ends: its status and type are the answer.
    if content_type.starts_with("text/event-stream") {
        return Answer { status, content_type, body: Value::Null };
    }
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, content_type, body }
}

/// One file sent as a body of `content_type`, and what came back.
async fn send_file(
    app: &TestApp,
    method: &Method,
    url: &str,
    token: Option<&str>,
    content_type: &str,
    file: &str,
) -> Answer {
    let mut request = app.client.request(method.clone(), format!("{}{url}", app.base()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.header("content-type", content_type).body(file.to_owned()).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned()).unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, content_type, body }
}

/// An upload as its document describes it: each binary field of the multipart form a small PNG.
async fn send_upload(
    app: &TestApp,
    document: &Value,
    method: &Method,
    url: &str,
    token: Option<&str>,
    content: &Value,
) -> Answer {
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(4, 4).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let schema = resolve(document, &content["schema"]);
    let fields = schema["properties"].as_object().cloned().unwrap_or_default();
    assert!(!fields.is_empty(), "{url}: the upload's fields are documented: {schema}");
    let mut parts = Vec::new();
    for (name, property) in &fields {
        assert_eq!(property["format"], "binary", "{url}: {name} is a file");
        parts.push(Part::File { name: name.as_str(), filename: "a.png", content_type: "image/png", bytes: &png });
    }
    let (content_type, body) = multipart(&parts);
    let mut request = app.client.request(method.clone(), format!("{}{url}", app.base()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.header("content-type", content_type).body(body).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned()).unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer { status, content_type, body }
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => document.pointer(reference.trim_start_matches('#')).unwrap_or_else(|| panic!("{reference}")),
        None => schema,
    }
}

/// A request body with the required fields only, or with every field.
fn body(app: &TestApp, world: &World, document: &Value, schema: &Value, every_field: bool) -> Value {
    let schema = resolve(document, schema);
    let required: BTreeSet<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let mut fields = Map::new();
    for (name, property) in schema["properties"].as_object().unwrap() {
        if !every_field && !required.contains(name.as_str()) {
            continue;
        }
        let value = world
            .resource(app, name)
            .or_else(|| property.get("example").cloned())
            // A nested object is filled in the same way.
            .or_else(|| property.get("$ref").map(|_| body(app, world, document, property, every_field)))
            .or_else(|| nullable(property).then_some(Value::Null))
            .unwrap_or_else(|| panic!("{name} in {schema} has neither an example nor a resource"));
        fields.insert(name.clone(), value);
    }
    Value::Object(fields)
}

/// Whether a property may be null (an optional object: `oneOf` null and a reference).
fn nullable(property: &Value) -> bool {
    let choices = property.get("oneOf").and_then(Value::as_array).into_iter().flatten();
    choices.chain([property]).any(|choice| choice["type"] == "null")
}

/// The documented query, every parameter at its example.
fn query(operation: &Value) -> String {
    let parameters = operation.get("parameters").and_then(Value::as_array).into_iter().flatten();
    let pairs: Vec<String> = parameters
        .filter(|p| p["in"] == "query")
        .map(|p| {
            let example = match &p["example"] {
                Value::String(text) => text.clone(),
                Value::Null => panic!("query parameter {p} has no example"),
                other => other.to_string(),
            };
            format!("{}={}", p["name"].as_str().unwrap(), example.replace('+', "%2B").replace(' ', "%20"))
        })
        .collect();
    pairs.join("&")
}

/// The path with each parameter at its example (a word from a closed set), or else a fresh id.
fn with_fresh_ids(path: &str, operation: &Value) -> String {
    let parameters: Vec<&Value> = operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "path")
        .collect();
    let mut filled = String::new();
    for (index, part) in path.split(['{', '}']).enumerate() {
        // Odd parts are the names between braces.
        if index % 2 == 1 {
            let example = parameters.iter().find(|p| p["name"] == part).and_then(|p| p["example"].as_str());
            filled.push_str(&example.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned));
        } else {
            filled.push_str(part);
        }
    }
    filled
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => false,
    }
}

/// Where `value` departs from `schema`: types, required properties, and no property the schema omits.
fn departures(document: &Value, schema: &Value, value: &Value, at: &str, found: &mut Vec<String>) {
    let schema = resolve(document, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = |option: &Value| {
            let mut departed = Vec::new();
            departures(document, option, value, at, &mut departed);
            departed.is_empty()
        };
        if options.iter().filter(|option| fits(option)).count() != 1 {
            found.push(format!("{at}: {value} does not match exactly one of {schema}"));
        }
        return;
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|name| type_matches(name, value)) {
        found.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    match value {
        Value::Object(fields) => {
            let required = schema.get("required").and_then(Value::as_array).into_iter().flatten();
            for name in required.filter_map(Value::as_str).filter(|name| !fields.contains_key(*name)) {
                found.push(format!("{at}: required {name} is missing"));
            }
            for (name, field) in fields {
                match schema.get("properties").and_then(|properties| properties.get(name)) {
                    Some(property) => departures(document, property, field, &format!("{at}.{name}"), found),
                    None => found.push(format!("{at}.{name} is not in the schema")),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (index, value) in items.iter().enumerate() {
                    departures(document, item, value, &format!("{at}[{index}]"), found);
                }
            }
        }
        _ => {}
    }
}

/// The fields serde named when it refused an unknown one: "expected one of `a`, `b`", "expected `a`",
/// or "there are no fields".
fn fields_named_in(detail: &str) -> BTreeSet<String> {
    let Some((_, expected)) = detail.split_once("expected") else { return BTreeSet::new() };
    expected.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Checks one answer to a body or query the schema allows.
fn check_allowed(document: &Value, operation: &Value, what: &str, answer: &Answer) {
    let Answer { status, content_type, body } = answer;
    assert!(![400, 405, 413, 415].contains(status) && *status < 500, "{what}: refused with {status}: {body}");
    let documented = &operation["responses"][status.to_string()];
    if *status >= 400 {
        assert!(content_type.starts_with("application/problem+json"), "{what}: {status} is not a problem: {body}");
        assert!(documented["content"]["application/problem+json"].is_object(), "{what}: {status} is not documented");
        return;
    }
    assert!(documented.is_object(), "{what}: {status} is not documented");
    if content_type.starts_with("application/json") {
        let schema = &documented["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{what}: answered JSON, documented {documented}");
        let mut found = Vec::new();
        departures(document, schema, body, "answer", &mut found);
        assert!(found.is_empty(), "{what}: the answer departs from its schema: {found:#?}\n{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_takes_what_its_schema_allows_and_answers_what_it_says() {
    on_each_backend(async |app| {
        let world = World::set_up(app).await;
        let (status, document) = app.request(Method::GET, "/openapi.json", None, None, None).await;
        assert_eq!(status, 200);
        let mut statuses = BTreeMap::<u16, usize>::new();
        let mut operations = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (name, method) in [("get", Method::GET), ("put", Method::PUT), ("post", Method::POST)]
                .into_iter()
                .chain([("delete", Method::DELETE), ("patch", Method::PATCH)])
            {
                let Some(operation) = item.get(name) else { continue };
                operations += 1;
                let what = format!("{method} {path}");
                let url = with_fresh_ids(path, operation);
                let token = world.caller(app, &method, path, operation).await;
                let token = token.as_deref();

                // An undocumented query parameter is refused.
                let probe = send(app, &method, &format!("{url}?{PROBE}=1"), token, None).await;
                assert_eq!(
                    (probe.status, probe.body["code"].as_str()),
                    (400, Some("unknown_query_parameter")),
                    "{what}: {}",
                    probe.body
                );
                let query = query(operation);
                let url = if query.is_empty() { url } else { format!("{url}?{query}") };

                let Some(request_body) = operation.get("requestBody") else {
                    let answer = send(app, &method, &url, token, None).await;
                    check_allowed(&document, operation, &what, &answer);
                    *statuses.entry(answer.status).or_default() += 1;
                    continue;
                };
                // A file (a catalog as CSV) is sent as its example, with its own content type.
                if let Some(example) = request_body["content"]["text/csv"]["example"].as_str() {
                    let answer = send_file(app, &method, &url, token, "text/csv", example).await;
                    check_allowed(&document, operation, &format!("{what} (its example file)"), &answer);
                    *statuses.entry(answer.status).or_default() += 1;
                    continue;
                }
                if request_body["content"].get("multipart/form-data").is_some() {
                    let answer = send_upload(
                        app,
                        &document,
                        &method,
                        &url,
                        token,
                        &request_body["content"]["multipart/form-data"],
                    )
                    .await;
                    check_allowed(&document, operation, &what, &answer);
                    *statuses.entry(answer.status).or_default() += 1;
                    continue;
                }
                let schema = &request_body["content"]["application/json"]["schema"];
                let resolved = resolve(&document, schema);
                assert_eq!(resolved["additionalProperties"], false, "{what}: unknown fields are refused");
                for (field, property) in resolved["properties"].as_object().unwrap() {
                    if field.contains("pin") || field.contains("password") {
                        assert_eq!(
                            (&property["writeOnly"], &property["format"]),
                            (&json!(true), &json!("password")),
                            "{what}: {field} is a secret"
                        );
                    }
                }
                for every_field in [false, true] {
                    let body = body(app, &world, &document, schema, every_field);
                    let answer = send(app, &method, &url, token, Some(&body)).await;
                    check_allowed(&document, operation, &format!("{what} {body}"), &answer);
                    *statuses.entry(answer.status).or_default() += 1;
                }

                // The handler names the fields it takes when it refuses one it does not.
                let mut probe_body = body(app, &world, &document, schema, true);
                probe_body[PROBE] = json!(1);
                let probe = send(app, &method, &url, token, Some(&probe_body)).await;
                assert_eq!((probe.status, probe.body["code"].as_str()), (400, Some("invalid_body")), "{what}");
                let taken = fields_named_in(probe.body["detail"].as_str().unwrap());
                let documented: BTreeSet<String> =
                    resolved["properties"].as_object().unwrap().keys().cloned().collect();
                assert_eq!(taken, documented, "{what}: the handler's fields against the schema's");
            }
        }
        assert!(operations >= 64, "every operation is in the document: {operations}");
        let succeeded: usize = statuses.iter().filter(|(status, _)| **status < 300).map(|(_, count)| count).sum();
        assert!(succeeded >= operations / 2, "most requests succeed, not only their parsing: {statuses:?}");
    })
    .await;
}

/// The statuses every operation documents, from what it is (`quipu_api::openapi`).
fn expected_statuses(operation: &Value) -> Vec<&'static str> {
    let signed = operation["security"].as_array().is_some_and(|security| !security.is_empty());
    let parameters: Vec<&Value> = operation["parameters"].as_array().into_iter().flatten().collect();
    let by_id = parameters.iter().any(|p| p["in"] == "path");
    let keyed = parameters.iter().any(|p| p["name"] == "Idempotency-Key");
    let with_body = operation.get("requestBody").is_some();
    let mut statuses = vec!["400", "408", "503"];
    statuses.extend(if signed { ["401", "403"].as_slice() } else { ["429"].as_slice() });
    statuses.extend(by_id.then_some("404"));
    statuses.extend(with_body.then_some("413"));
    statuses.extend(with_body.then_some("415"));
    statuses.extend(keyed.then_some("422"));
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_documented_and_every_parameter_constrained() {
    on_each_backend(async |app| {
        let (status, document) = app.request(Method::GET, "/openapi.json", None, None, None).await;
        assert_eq!(status, 200);
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let what = format!("{method} {path}");
                let responses = operation["responses"].as_object().unwrap();
                for status in expected_statuses(operation) {
                    assert!(responses.contains_key(status), "{what}: {status} is not documented");
                }
                // A success, or a redirection (304 of a cached image), has a body of its own, or none.
                for (status, response) in responses.iter().filter(|(status, _)| !status.starts_with(['2', '3'])) {
                    let content = response.get("content").and_then(Value::as_object);
                    let types: Vec<&String> = content.map(|content| content.keys().collect()).unwrap_or_default();
                    let expected: &[&str] = if status == "408" { &[] } else { &["application/problem+json"] };
                    assert_eq!(types, expected, "{what}: {status} is a problem document");
                    assert!(
                        !response["description"].as_str().unwrap().is_empty(),
                        "{what}: {status} says what it means"
                    );
                }
                for parameter in operation["parameters"].as_array().into_iter().flatten() {
                    let schema = &parameter["schema"];
                    let name = parameter["name"].as_str().unwrap();
                    let constrained = schema["type"].as_str().is_none_or(|kind| kind != "string")
                        || schema.get("pattern").is_some()
                        || schema.get("format").is_some()
                        || schema.get("enum").is_some()
                        || ["q", "after", "Last-Event-ID"].contains(&name);
                    assert!(constrained, "{what}: {name} is constrained: {parameter}");
                }
                if let Some(key) =
                    operation["parameters"].as_array().into_iter().flatten().find(|p| p["name"] == "Idempotency-Key")
                {
                    assert_eq!((&key["required"], &key["schema"]["maxLength"]), (&json!(true), &json!(64)), "{what}");
                }
            }
        }

        // An empty cursor is the first page, as a blank form field would send it.
        let amina = app.customer("+15550170001").await;
        for path in ["/me/transactions?cursor=", "/me/access-log?cursor=", "/me/payments?cursor="] {
            let (status, body) = app.get(path, &amina.token).await;
            assert_eq!(status, 200, "{path}: {body}");
        }
    })
    .await;
}
