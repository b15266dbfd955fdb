//! Form plumbing shared by the handlers: urlencoded bodies read into typed
//! form structs ([`HtmlForm`]), field errors shown next to their fields, and
//! turning a domain parse result into either a value or a field error.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::domain::{Invalid, Password};
use crate::error::AppError;

/// A urlencoded body read into `T` by `serde_html_form`, which (unlike
/// actix's `web::Form`) collects a repeated key into a `Vec` — checkbox lists,
/// selected ids. A body that does not fit `T` is a 422 with serde's reason; the
/// field values' own rules are `T`'s conversion into domain types
/// (`TryFrom`), with readable messages. A body too large to read is refused
/// as `web::Bytes` refuses it.
pub struct HtmlForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for HtmlForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move { Ok(HtmlForm(parse_form(&body.await?)?)) })
    }
}

/// `body` read into `T`, as [`HtmlForm`] does.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_html_form::from_bytes(body)
        .map_err(|e| AppError::Validation(format!("The form could not be read: {e}.")))
}

/// Messages by field name, rendered beside each field.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(BTreeMap<&'static str, String>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the value, or records the reason under `field`.
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(Invalid(message)) => {
                self.add(field, message);
                None
            }
        }
    }

    /// A form's shape errors (oversize input), before any parsing.
    pub fn of(form: &impl validator::Validate) -> Self {
        form.validate()
            .err()
            .map(|e| Self::from_validation(&e))
            .unwrap_or_default()
    }

    /// A new password under the rules of [`Password`], typed the same twice.
    pub fn new_password(&mut self, password: &str, confirm: &str) -> Option<Password> {
        let parsed = self.check("password", Password::parse(password));
        if parsed.is_some() && password != confirm {
            self.add("password_confirm", "The two passwords do not match.");
        }
        parsed
    }

    /// Shape errors from `validator` (oversize input), before any parsing.
    pub fn from_validation(errors: &validator::ValidationErrors) -> Self {
        let mut out = Self::default();
        for (field, errs) in errors.field_errors() {
            let field: &'static str = match field.as_ref() {
                "display_name" => "display_name",
                "email" => "email",
                "password" => "password",
                "password_confirm" => "password_confirm",
                "current_password" => "current_password",
                "org_name" => "org_name",
                "name" => "name",
                "seats" => "seats",
                _ => "form",
            };
            if let Some(err) = errs.first() {
                out.add(
                    field,
                    err.message
                        .as_deref()
                        .unwrap_or("This value is not accepted.")
                        .to_owned(),
                );
            }
        }
        out
    }
}

/// All fields of a urlencoded body as pairs, for the forms whose field names
/// carry ids (`m<member>_contacts_<team>`), which no struct can name.
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `deserialize_with` for a checkbox: ticked when sent as `on` (its default
/// value), whatever else a crafted form says.
pub fn checkbox<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(value == "on")
}

/// A `next` parameter is followed only to a local path: never `//host`, `/\host`
/// or an absolute URL.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_goes_to_local_paths() {
        assert_eq!(
            safe_next(Some("/orgs/1/settings")).as_deref(),
            Some("/orgs/1/settings")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/\t/evil.example",
            "/a\\b",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_next(None), None);
    }
}
