//! The API reference as a page, rendered on the server from the very
//! OpenAPI document the API serves: nothing to vendor, nothing loaded from
//! elsewhere, and it cannot drift from the API.

use serde_json::Value;

/// One operation as the reference lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: String,
    pub path: String,
    /// The first line of its description.
    pub summary: String,
}

/// The document's operations grouped by their first tag, in the document's tag order.
pub fn operations_by_tag(document: &Value) -> Vec<(String, Vec<Operation>)> {
    let mut groups: Vec<(String, Vec<Operation>)> = document
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tag| tag.get("name").and_then(Value::as_str))
        .map(|name| (name.to_owned(), Vec::new()))
        .collect();
    let paths = document.get("paths").and_then(Value::as_object).into_iter().flatten();
    for (path, item) in paths {
        let Some(methods) = item.as_object() else { continue };
        for (method, operation) in methods {
            let tag = operation
                .get("tags")
                .and_then(Value::as_array)
                .and_then(|tags| tags.first())
                .and_then(Value::as_str)
                .unwrap_or("other");
            let summary = operation
                .get("description")
                .or_else(|| operation.get("summary"))
                .and_then(Value::as_str)
                .and_then(|text| text.lines().next())
                .unwrap_or_default()
                .to_owned();
            let entry = Operation { method: method.to_uppercase(), path: path.clone(), summary };
            match groups.iter_mut().find(|(name, _)| name == tag) {
                Some((_, operations)) => operations.push(entry),
                None => groups.push((tag.to_owned(), vec![entry])),
            }
        }
    }
    groups.retain(|(_, operations)| !operations.is_empty());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_grouped_by_their_first_tag_in_the_documents_order() {
        let document = serde_json::json!({
            "tags": [{"name": "wallet"}, {"name": "cards"}],
            "paths": {
                "/api/v1/cards/balance": {"post": {"tags": ["cards"], "description": "Balance with the PIN.\nMore."}},
                "/api/v1/me": {"get": {"tags": ["wallet"], "summary": "Who you are"}}
            }
        });
        let groups = operations_by_tag(&document);
        assert_eq!(groups.iter().map(|(tag, _)| tag.as_str()).collect::<Vec<_>>(), ["wallet", "cards"]);
        assert_eq!(
            groups[1].1[0],
            Operation {
                method: "POST".into(),
                path: "/api/v1/cards/balance".into(),
                summary: "Balance with the PIN.".into()
            }
        );
    }
}
