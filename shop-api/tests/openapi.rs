//! `shop-api/openapi.yaml` against the code: the same endpoints (path and method) as the router
//! in `src/lib.rs`, each one answering through that router, and a file that is OpenAPI 3.1 in
//! its structure (every operation answers something, every path parameter and `$ref` resolves).

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use shop_api::identity::ShopSecret;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;
use yaml_rust2::{Yaml, YamlLoader};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn spec() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap();
    assert_eq!(docs.len(), 1, "openapi.yaml holds one document");
    docs.remove(0)
}

fn key(name: &str) -> Yaml {
    Yaml::String(name.to_owned())
}

/// `(method, path)` of every operation under `paths`, methods in lower case.
fn documented(spec: &Yaml) -> BTreeSet<(String, String)> {
    let paths = spec["paths"].as_hash().expect("openapi.yaml has `paths`");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let path = path.as_str().unwrap().to_owned();
            let item = item.as_hash().unwrap();
            METHODS
                .iter()
                .filter(|method| item.contains_key(&key(method)))
                .map(move |method| (method.to_string(), path.clone()))
        })
        .collect()
}

/// `(method, path)` of every `.route("path", get(…).post(…))` in `src/lib.rs`'s `fn api`, the
/// router nested under `/api/v1`, and in the routers it merges (`fn webhook_routes`, and the
/// console's `api_routes` in `src/console/mod.rs`).
fn routed() -> BTreeSet<(String, String)> {
    let body_of = |source: &'static str, name: &str| {
        let start = source
            .find(&format!("\nfn {name}("))
            .or_else(|| source.find(&format!("\npub fn {name}(")))
            .unwrap_or_else(|| panic!("the router source has `fn {name}(`"));
        let body = &source[start..];
        body[..body.find("\n}\n").unwrap()].to_owned()
    };
    let lib = include_str!("../src/lib.rs");
    let console = include_str!("../src/console/mod.rs");
    let body = [
        body_of(lib, "api"),
        body_of(lib, "webhook_routes"),
        body_of(console, "api_routes"),
    ]
    .concat();
    let mut routes = BTreeSet::new();
    for call in body.split(".route(").skip(1) {
        let call = call.trim_start();
        assert!(
            call.starts_with('"'),
            "a route whose path is not a literal: {call}"
        );
        let (path, rest) = call[1..].split_once('"').unwrap();
        // The method router: identifiers called at the top level of the second argument, up to
        // the `)` that closes `.route(`.
        let (mut depth, mut word) = (0, String::new());
        let mut methods = Vec::new();
        for c in rest.trim_start_matches([',', ' ', '\n']).chars() {
            match c {
                '(' if depth == 0 => {
                    methods.push(std::mem::take(&mut word));
                    depth += 1;
                }
                '(' => depth += 1,
                ')' if depth == 0 => break,
                ')' => depth -= 1,
                c if depth == 0 && (c.is_ascii_alphanumeric() || c == '_') => word.push(c),
                _ if depth == 0 => word.clear(),
                _ => {}
            }
        }
        assert!(!methods.is_empty(), "no method router for {path}");
        for method in methods {
            assert!(
                METHODS.contains(&method.as_str()),
                "{path}: `{method}` is not an HTTP method router"
            );
            routes.insert((method, path.to_owned()));
        }
    }
    routes
}

/// The node a local `$ref` (`#/components/schemas/Health`) points at.
fn resolve<'a>(spec: &'a Yaml, reference: &str) -> Option<&'a Yaml> {
    let pointer = reference.strip_prefix("#/")?;
    pointer.split('/').try_fold(spec, |node, segment| {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let next = &node[segment.as_str()];
        (!next.is_badvalue()).then_some(next)
    })
}

/// Follows a `$ref`, if the node is one.
fn deref<'a>(spec: &'a Yaml, node: &'a Yaml) -> &'a Yaml {
    match node["$ref"].as_str() {
        Some(reference) => {
            resolve(spec, reference).unwrap_or_else(|| panic!("{reference} resolves"))
        }
        None => node,
    }
}

/// Every `$ref` anywhere in `node`.
fn references(node: &Yaml, found: &mut Vec<String>) {
    match node {
        Yaml::Hash(hash) => {
            for (k, v) in hash {
                if let (Some("$ref"), Some(reference)) = (k.as_str(), v.as_str()) {
                    found.push(reference.to_owned());
                }
                references(v, found);
            }
        }
        Yaml::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_route_is_documented_and_every_documented_endpoint_is_routed() {
    let spec = spec();
    let documented = documented(&spec);
    let routed = routed();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routed in src/lib.rs but not in openapi.yaml: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "in openapi.yaml but not routed in src/lib.rs: {unrouted:?}"
    );
    assert!(routed.len() >= 14, "the route scan found {routed:?}");
}

/// The scan of `src/lib.rs` above is checked against the router itself: every documented
/// operation reaches a handler (not the JSON 404 `not_found` or 405 `method_not_allowed` of
/// unknown paths and methods), and every other method on a documented path is 405.
#[tokio::test]
async fn every_documented_operation_reaches_a_handler_and_no_other_method_does() {
    let dir = TempDir::new().unwrap();
    let state = AppState::new(
        common::test_db(dir.path()),
        ShopSecret::new("openapi-secret"),
    );
    let router = app(state, &Options::default());
    let documented = documented(&spec());
    let paths: BTreeSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in paths {
        // A path parameter becomes a value no seed data has.
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x-404" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in ["get", "post", "put", "delete", "patch"] {
            let request = Request::builder()
                .method(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap())
                .uri(format!("/api/v1{concrete}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap();
            let answer = common::send(&router, request).await;
            let code = || answer.json()["error"]["code"].as_str().map(str::to_owned);
            if documented.contains(&(method.to_owned(), path.clone())) {
                let missed = (answer.status == StatusCode::NOT_FOUND
                    && code().as_deref() == Some("not_found"))
                    || answer.status == StatusCode::METHOD_NOT_ALLOWED;
                assert!(
                    !missed,
                    "{method} {path}: {} {:?}",
                    answer.status,
                    answer.text()
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is not documented"
                );
                assert_eq!(code().as_deref(), Some("method_not_allowed"));
            }
        }
    }
}

#[test]
fn openapi_yaml_is_openapi_3_1_in_structure() {
    let spec = spec();
    let version = spec["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1."), "openapi: {version}");
    assert!(
        spec["info"]["title"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(
        spec["info"]["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );

    let mut operation_ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_hash().unwrap() {
        let path = path.as_str().unwrap();
        assert!(path.starts_with('/'), "path {path} starts with /");
        let item = item.as_hash().unwrap();
        for field in item.keys() {
            let field = field.as_str().unwrap();
            assert!(
                METHODS.contains(&field)
                    || ["summary", "description", "parameters", "servers", "$ref"].contains(&field),
                "{path}: `{field}` is no field of a path item"
            );
        }
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let shared = spec["paths"][path]["parameters"]
            .as_vec()
            .cloned()
            .unwrap_or_default();
        for method in METHODS.iter().filter(|m| item.contains_key(&key(m))) {
            let operation = &spec["paths"][path][*method];
            let responses = operation["responses"]
                .as_hash()
                .unwrap_or_else(|| panic!("{method} {path} has no responses"));
            assert!(!responses.is_empty(), "{method} {path} has no responses");
            for (status, response) in responses {
                let status = status
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: a status as a string, quoted"));
                assert!(
                    status == "default"
                        || (status.len() == 3
                            && matches!(status.as_bytes()[0], b'1'..=b'5')
                            && status[1..].bytes().all(|b| b.is_ascii_digit() || b == b'X')),
                    "{method} {path}: response `{status}`"
                );
                let response = deref(&spec, response);
                assert!(
                    response["description"].as_str().is_some(),
                    "{method} {path} {status}: a response needs a description"
                );
            }
            if let Some(id) = operation["operationId"].as_str() {
                assert!(
                    operation_ids.insert(id.to_owned()),
                    "operationId {id} twice"
                );
            }
            let own = operation["parameters"]
                .as_vec()
                .cloned()
                .unwrap_or_default();
            let in_path: BTreeSet<String> = shared
                .iter()
                .chain(&own)
                .map(|p| deref(&spec, p))
                .inspect(|p| {
                    assert!(
                        p["name"].as_str().is_some(),
                        "{method} {path}: a parameter without a name"
                    );
                    let place = p["in"].as_str().unwrap_or_default();
                    assert!(
                        ["query", "header", "path", "cookie"].contains(&place),
                        "{method} {path}: parameter in `{place}`"
                    );
                })
                .filter(|p| p["in"].as_str() == Some("path"))
                .map(|p| {
                    assert_eq!(
                        p["required"].as_bool(),
                        Some(true),
                        "{method} {path}: path parameters are required"
                    );
                    p["name"].as_str().unwrap().to_owned()
                })
                .collect();
            let templated: BTreeSet<String> = templated.iter().map(|s| s.to_string()).collect();
            assert_eq!(in_path, templated, "{method} {path}: path parameters");
        }
    }

    let mut found = Vec::new();
    references(&spec, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        assert!(
            resolve(&spec, &reference).is_some(),
            "$ref {reference} resolves to nothing"
        );
    }
}
