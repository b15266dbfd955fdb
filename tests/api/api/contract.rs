//! Contract checks: every API response a test reads is validated against the
//! OpenAPI document the server serves, by the operation's path template,
//! method and status (exact, or a range such as `4XX`).

use std::sync::Arc;

use serde_json::{json, Value};

pub struct Contract {
    doc: Value,
}

impl Contract {
    pub fn new(doc: Value) -> Arc<Self> {
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
        Arc::new(Self { doc })
    }

    /// The document's path template that `path` (without the query) matches.
    fn template(&self, path: &str) -> Option<String> {
        let want: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        // Literal segments win over templated ones, as the router decides.
        let mut found: Vec<(usize, &String)> = paths
            .keys()
            .filter_map(|template| {
                let have: Vec<&str> = template.split('/').collect();
                (have.len() == want.len()
                    && have
                        .iter()
                        .zip(&want)
                        .all(|(h, w)| h == w || (h.starts_with('{') && h.ends_with('}'))))
                .then(|| (have.iter().filter(|h| h.starts_with('{')).count(), template))
            })
            .collect();
        found.sort();
        found.first().map(|(_, t)| (*t).clone())
    }

    /// Asserts that a response conforms to the document.
    pub fn check(&self, method: &str, path: &str, status: u16, content_type: &str, body: &Value) {
        let path = path.split('?').next().unwrap_or(path);
        let Some(template) = self.template(path) else {
            // An unknown endpoint: a problem, as every API error is.
            assert_eq!(status, 404, "{method} {path}: not in the document");
            self.check_schema(
                &json!({"$ref": "#/components/schemas/ProblemBody"}),
                body,
                path,
            );
            return;
        };
        let operation = &self.doc["paths"][&template][method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not in the document"
        );
        let responses = &operation["responses"];
        let key = status.to_string();
        let range = format!("{}XX", status / 100);
        let response = [key.as_str(), range.as_str(), "default"]
            .iter()
            .map(|k| &responses[*k])
            .find(|r| r.is_object())
            .unwrap_or_else(|| panic!("{method} {template}: status {status} is not documented"));
        let media = content_type.split(';').next().unwrap_or("").trim();
        match response.get("content") {
            None => assert!(
                body.is_null(),
                "{method} {template} {status}: no body documented"
            ),
            Some(content) => {
                let schema = &content[media]["schema"];
                assert!(
                    schema.is_object(),
                    "{method} {template} {status}: {media} is not documented ({content})"
                );
                self.check_schema(schema, body, &template);
            }
        }
    }

    fn check_schema(&self, schema: &Value, body: &Value, what: &str) {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::validator_for(&root).expect("the document's schemas compile");
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the response breaks the schema: {errors:#?}\n{body:#}"
        );
    }
}
