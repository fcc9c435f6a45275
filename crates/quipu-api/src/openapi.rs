//! The OpenAPI 3.1 document, generated from the handlers' annotations, and
//! the rule that holds every request to its query parameters.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use axum::extract::{MatchedPath, Query, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quipu_http::problem::ApiError;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::Response as Answer;
use utoipa::openapi::schema::{ArrayItems, Object, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

/// The document's own parts: title, description and tags. Its paths and schemas come from the
/// contexts' routes ([`crate::contexts`]), where each route is declared once.
#[derive(OpenApi)]
#[openapi(
    info(title = "Quipu API", description = "Payments, wallets and agents for cash-first places. Errors are RFC 9457 problem documents."),
    tags((name = "identity"), (name = "wallet"), (name = "agent"), (name = "operator"), (name = "merchant"), (name = "payments"), (name = "merchant QR"), (name = "merchant integration"), (name = "cards"), (name = "settlement"), (name = "market"), (name = "orders"), (name = "delivery"))
)]
struct ApiDoc;

/// The whole document from the routes' paths and schemas: the API's own parts, the bearer scheme,
/// and every operation's standard answers and field rules.
pub fn finish(routes: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.merge(routes);
    for modifier in [&BearerAuth as &dyn Modify, &StandardAnswers, &FieldRules] {
        modifier.modify(&mut document);
    }
    document
}

/// The document of every route [`crate::router`] serves, built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| finish(crate::contexts().document()))
}

/// The document as JSON, for the web pages' API reference.
pub fn document() -> serde_json::Value {
    serde_json::to_value(openapi()).unwrap_or_default()
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some("A session token from /auth/login, or a merchant API key"))
                        .build(),
                ),
            );
        }
    }
}

/// Every error leaves as `application/problem+json` (see `quipu_http::problem`).
const PROBLEM_JSON: &str = "application/problem+json";

/// The answers an operation gives whatever it does, added to every operation from what it is, so
/// the handlers' annotations list only their own business answers (404 for an unknown phone, 409,
/// 422, 423) and no operation can forget one: every query is checked against the document (400),
/// a database that does not answer is 503, a request over 30 s is 408 (see `quipu_http`); a signed
/// operation answers 401 without a valid credential and 403 to a role or credential that may not
/// call it (or a cookie without its CSRF token); an id in the path may name nothing (404); a body
/// may be too large (413) or not JSON (415); a money move's Idempotency-Key may have been used for
/// another request (422); the unsigned operations are the ones limited per address (429). A body
/// with a PIN may meet a wrong one (403) or a lock (423); one naming a card or a person by phone
/// may name nobody (404), a card number may fail its check digit (422). Every non-2xx answer, the
/// handlers' own too, is documented as a problem document.
struct StandardAnswers;

/// The fields of a request body that name a PIN, a card or a person by phone.
const PIN_FIELDS: [&str; 5] = ["pin", "customer_pin", "new_pin", "old_pin", "holder_pin"];
const PERSON_FIELDS: [&str; 3] = ["to_phone", "customer_phone", "holder_phone"];

impl Modify for StandardAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.as_ref();
        for item in openapi.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                let fields = body_fields(operation, components);
                standard_answers(operation, &fields);
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch].into_iter().flatten()
}

/// The name of the component schema an operation's JSON body is.
fn body_schema(operation: &Operation) -> Option<String> {
    let content = operation.request_body.as_ref()?.content.get("application/json")?;
    match content.schema.as_ref()? {
        RefOr::Ref(reference) => reference.ref_location.rsplit('/').next().map(str::to_owned),
        RefOr::T(_) => None,
    }
}

/// The top-level fields of an operation's JSON body.
fn body_fields(operation: &Operation, components: Option<&utoipa::openapi::Components>) -> BTreeSet<String> {
    let schema = body_schema(operation).and_then(|name| components?.schemas.get(&name).cloned());
    match schema {
        Some(RefOr::T(Schema::Object(object))) => object.properties.into_keys().collect(),
        _ => BTreeSet::new(),
    }
}

/// What a standard answer means, for the operations it applies to.
fn standard_description(status: &str) -> &'static str {
    match status {
        "400" => "Malformed: a query parameter, path, header or body this operation does not take",
        "401" => "No valid credential: send Authorization: Bearer <session token or API key>",
        "403" => {
            "Not allowed: this caller may not do this, a PIN or password is wrong (`wrong_pin`, `wrong_password`: `attempts_left` says how many wrong guesses remain before it locks), or a cookie-signed request lacks its X-CSRF-Token"
        }
        "404" => "Nothing the caller may see has this id, number or phone",
        "408" => "The request took longer than 30 s; retry a money move with the same Idempotency-Key",
        "409" => "Conflicts with the current state",
        "413" => {
            "The body is larger than the operation takes: 16 KiB, 1 MiB for a storefront or a product, 8 MiB for an upload"
        }
        "415" => "The body is not application/json (multipart/form-data for an upload)",
        "422" => {
            "Well formed but refused: a rule about the money, the state or the values together (e.g. an Idempotency-Key used for a different request, a card number whose check digit is wrong)"
        }
        "423" => "Locked after too many wrong attempts; the detail says until when",
        "429" => "Too many attempts from this address; Retry-After says when to try again",
        "503" => "The database or the ledger is unavailable; nothing was done, retry",
        _ => "An error; the problem document says which",
    }
}

fn standard_answers(operation: &mut Operation, fields: &BTreeSet<String>) {
    let signed = operation.security.as_ref().is_some_and(|security| !security.is_empty());
    let parameters = operation.parameters.iter().flatten();
    let by_id = parameters.clone().any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let keyed = parameters.clone().any(|p| p.name.eq_ignore_ascii_case("Idempotency-Key"));
    let with_body = operation.request_body.is_some();
    let checks_pin = PIN_FIELDS.iter().any(|field| fields.contains(*field));
    let names_card = fields.contains("number");
    let names_person = PERSON_FIELDS.iter().any(|field| fields.contains(*field));
    let answers = [
        ("400", true),
        ("401", signed),
        ("403", signed || checks_pin),
        ("404", by_id || names_card || names_person),
        ("408", true),
        ("413", with_body),
        ("415", with_body),
        ("422", keyed || names_card),
        ("423", checks_pin),
        ("429", !signed),
        ("503", true),
    ];
    let responses = &mut operation.responses.responses;
    for (status, applies) in answers {
        if applies && !responses.contains_key(status) {
            responses.insert(status.to_owned(), RefOr::T(Answer::new(standard_description(status))));
        }
    }
    for (status, response) in responses.iter_mut() {
        if let RefOr::T(response) = response {
            if !status.starts_with('2') && response.description.is_empty() {
                response.description = standard_description(status).to_owned();
            }
            problem_content(status, response);
        }
    }
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.name.eq_ignore_ascii_case("Idempotency-Key") {
            parameter.required = Required::True;
            parameter.schema = Some(RefOr::T(Schema::Object(idempotency_key_schema())));
        }
    }
}

/// An error answer's body is a problem document; a timeout's (408, from the timeout layer) has none,
/// nor has a redirection's (304, not modified).
fn problem_content(status: &str, response: &mut Answer) {
    if status.starts_with('2') || status.starts_with('3') || status == "408" {
        return;
    }
    response.content.clear();
    let problem = Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem"))));
    response.content.insert(PROBLEM_JSON.to_owned(), problem);
}

/// What `quipu_http::extract::IdempotencyKey` accepts.
fn idempotency_key_schema() -> Object {
    let mut schema = Object::with_type(utoipa::openapi::Type::String);
    schema.pattern = Some("^[A-Za-z0-9._:-]{1,64}$".to_owned());
    schema.min_length = Some(1);
    schema.max_length = Some(64);
    schema.description = Some(
        "Unique per intended operation (e.g. a UUID); a retry with the same key returns the first answer".to_owned(),
    );
    schema
}

/// Characters a display text may hold (`quipu_domain::text::is_display_safe`, and the invisible
/// ones a name must not hide behind: soft hyphen, zero-width space, Hangul filler).
const SHOWN: &str = r"[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u3164\ufeff]";
/// The same, and not a space: a text starts and ends with one (the parsers trim).
const SHOWN_MARK: &str =
    r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u3164\ufeff]";

/// A till's label (`quipu_domain::payment::TillLabel`); empty is the whole shop.
pub const TILL: &str = "^(?:[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,14}[A-Za-z0-9_-])?)?$";

/// A string field's constraint: a pattern and a length in characters.
struct Rule {
    pattern: String,
    max_length: Option<usize>,
}

fn rule(pattern: impl Into<String>, max_length: Option<usize>) -> Rule {
    Rule { pattern: pattern.into(), max_length }
}

/// The forms the edge parsers (`requests.rs` and the domain types they call) accept, by field.
fn field_rule(schema: &str, field: &str) -> Option<Rule> {
    let name = |max: usize| rule(format!("^{SHOWN_MARK}(?:{SHOWN}{{0,{}}}{SHOWN_MARK})?$", max - 2), Some(max));
    // An optional text: empty is the same as absent.
    let optional_name =
        |max: usize| rule(format!("^(?:{SHOWN_MARK}(?:{SHOWN}{{0,{}}}{SHOWN_MARK})?)?$", max - 2), Some(max));
    let reason = rule(format!("^{SHOWN_MARK}{SHOWN}{{8,498}}{SHOWN_MARK}$"), Some(500));
    Some(match (schema, field) {
        (_, "pin" | "customer_pin" | "new_pin" | "old_pin" | "holder_pin") => rule("^[0-9]{4,6}$", None),
        (_, "phone" | "to_phone" | "customer_phone" | "holder_phone" | "owner_phone") => {
            rule(r"^\+[ ().-]{0,3}[1-9](?:[ ().-]{0,2}[0-9]){7,14}$", Some(32))
        }
        ("LoginRequest", "password") | (_, "old_password") => return None,
        (_, "password" | "new_password" | "owner_password") => rule("^[^\\x00]{8,128}$", Some(128)),
        (_, "full_name" | "owner_full_name" | "bank_name" | "holder_name" | "label") => name(100),
        ("CreateMerchantRequest", "name") => name(100),
        ("CreateApiKeyRequest", "name") | ("RefundRequest", "reason") | (_, "note") => optional_name(100),
        ("JobStepRequest", "reason") => optional_name(200),
        ("JobStepRequest", "to") => rule("^(?:at_pickup|picked_up|at_drop_off|returning|offered)$", None),
        ("CreateCourierRequest", "vehicle") => rule("^(?:foot|bicycle|motorbike|car)$", None),
        (_, "reason") => reason,
        ("CommissionRequest", "fixed") => rule(r"^[0-9]{1,12}(?:\.[0-9]{1,2})?$", None),
        (_, "amount" | "threshold") => {
            rule(r"^(?:0{0,8}[1-9][0-9]{0,11}(?:\.[0-9]{1,2})?|0{1,8}\.(?:0[1-9]|[1-9][0-9]?))$", None)
        }
        (_, "currency") => rule("^[A-Z]{3}$", None),
        (_, "number") => rule("^[0-9]{16}$", None),
        (_, "account_number") => rule("^[A-Za-z0-9]{4,34}$", None),
        (_, "till") => rule(TILL, Some(16)),
        ("CardPaymentRequest" | "ChargeRequest", "reference") => optional_name(64),
        ("PaymentRequestRequest", "reference") => rule("^(?:[!-~](?:[ -~]{0,23}[!-~])?)?$", Some(25)),
        (_, "category_code") => rule("^[0-9]{4}$", None),
        ("AreaRequest", "name") => name(60),
        ("StorefrontRequest", "address") => name(200),
        ("StorefrontRequest", "description") => optional_name(1000),
        ("ProductRequest", "name_ko" | "name_en") => optional_name(120),
        ("ProductRequest", "category") => name(60),
        ("ProductRequest", "sku") => optional_name(64),
        ("ProductRequest", "description") => optional_name(2000),
        ("ProductRequest", "price") => {
            rule(r"^(?:0{0,8}[1-9][0-9]{0,11}(?:\.[0-9]{1,2})?|0{1,8}\.(?:0[1-9]|[1-9][0-9]?))$", None)
        }
        // Its QR carries its Latin letters (`quipu_merchant_qr`): it starts with one.
        ("MerchantProfileRequest", "city") => rule(format!("^[A-Za-z](?:{SHOWN}{{0,58}}{SHOWN_MARK})?$"), Some(60)),
        ("CreateWebhookRequest", "events") => {
            rule(r"^(?:\*|payment\.awaiting_approval|payment\.completed|payment\.failed|refund\.completed)$", None)
        }
        // The public https form (`quipu_events::webhooks`): a two- or three-letter top-level domain
        // is never one of the private ones (.local, .internal, .home.arpa, localhost).
        ("CreateWebhookRequest", "url") => rule(
            r"^https://(?:[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?\.){1,4}[a-z]{2,3}(?:/[A-Za-z0-9._~-]{0,40}){0,5}$",
            Some(500),
        ),
        _ => return None,
    })
}

/// The string schema a rule constrains: the field's own, or its items' for a list.
fn text_schema(property: &mut RefOr<Schema>) -> Option<&mut Object> {
    match property {
        RefOr::T(Schema::Object(object)) => Some(object),
        RefOr::T(Schema::Array(array)) => match &mut array.items {
            ArrayItems::RefOrSchema(items) => match items.as_mut() {
                RefOr::T(Schema::Object(object)) => Some(object),
                _ => None,
            },
            ArrayItems::False => None,
        },
        _ => None,
    }
}

/// Constrains every request field to what the server accepts (`field_rule`), so a request the
/// document calls valid is never refused as malformed and one it calls invalid is.
struct FieldRules;

impl Modify for FieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let requests: BTreeSet<String> = openapi
            .paths
            .paths
            .values_mut()
            .flat_map(operations_mut)
            .filter_map(|operation| body_schema(operation))
            .collect();
        let Some(components) = openapi.components.as_mut() else { return };
        for (schema_name, schema) in &mut components.schemas {
            let RefOr::T(Schema::Object(object)) = schema else { continue };
            if !requests.contains(schema_name) {
                continue;
            }
            for (field, property) in &mut object.properties {
                if let (Some(text), Some(rule)) = (text_schema(property), field_rule(schema_name, field)) {
                    text.pattern = Some(rule.pattern);
                    if rule.max_length.is_some() {
                        text.max_length = rule.max_length;
                    }
                }
            }
        }
    }
}

/// The query parameters each operation documents, by method and route template.
type QueryParameters = HashMap<(Method, String), BTreeSet<String>>;

fn documented_query_parameters() -> &'static QueryParameters {
    static PARAMETERS: OnceLock<QueryParameters> = OnceLock::new();
    PARAMETERS.get_or_init(|| {
        let mut parameters = QueryParameters::new();
        for (path, item) in openapi().paths.paths.clone() {
            let operations = [(Method::GET, item.get), (Method::PUT, item.put), (Method::POST, item.post)];
            let operations = operations.into_iter().chain([(Method::DELETE, item.delete), (Method::PATCH, item.patch)]);
            for (method, operation) in operations {
                if let Some(operation) = operation {
                    parameters.insert((method, path.clone()), query_names(&operation));
                }
            }
        }
        parameters
    })
}

fn query_names(operation: &Operation) -> BTreeSet<String> {
    let parameters = operation.parameters.iter().flatten();
    parameters.filter(|p| matches!(p.parameter_in, ParameterIn::Query)).map(|p| p.name.clone()).collect()
}

/// Refuses a query parameter the operation does not document, on every route: an
/// unknown filter (a typo, or one this version does not support) must be an error,
/// not silently ignored into an answer that looks filtered and is not. The document is
/// the list, so the two cannot drift; the handlers' own query types refuse unknown
/// fields too.
pub async fn refuse_undocumented_query(route: Option<MatchedPath>, request: Request, next: Next) -> Response {
    if request.uri().query().is_some_and(|query| !query.is_empty()) {
        let method = if request.method() == Method::HEAD { Method::GET } else { request.method().clone() };
        let documented =
            route.and_then(|route| documented_query_parameters().get(&(method, route.as_str().to_owned())));
        let names = match Query::<Vec<(String, String)>>::try_from_uri(request.uri()) {
            Ok(Query(pairs)) => pairs.into_iter().map(|(name, _)| name),
            Err(rejection) => return ApiError::from(rejection).into_response(),
        };
        for name in names {
            if !documented.is_some_and(|documented| documented.contains(&name)) {
                let takes = match documented.filter(|documented| !documented.is_empty()) {
                    Some(documented) => {
                        format!("it takes {}", documented.iter().map(String::as_str).collect::<Vec<_>>().join(", "))
                    }
                    None => "it takes none".to_owned(),
                };
                let detail = format!("this endpoint has no query parameter `{name}`; {takes}");
                return ApiError::new(StatusCode::BAD_REQUEST, "unknown_query_parameter", detail).into_response();
            }
        }
    }
    next.run(request).await
}
