//! htmx helpers: one place decides between a full page and a fragment, adds
//! out-of-band toasts to changes, and turns error pages into toasts (or a
//! client-side redirect to sign-in) when htmx made the request.

use std::convert::Infallible;
use std::future::{ready, Ready};

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderMap, HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::Next,
    Error, FromRequest, HttpRequest, HttpResponse,
};
use askama::Template;

use crate::error::{AppResult, ErrorMessage};

/// What a request asks for: the whole page, or only the fragment htmx swaps
/// in. The one reading of `HX-Request`; a handler takes it as an extractor
/// (or passes its request to [`page_or_fragment`]) and never reads the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    Page,
    Fragment,
}

impl Wants {
    pub fn of(req: &HttpRequest) -> Self {
        Self::of_headers(req.headers())
    }

    pub fn of_headers(headers: &HeaderMap) -> Self {
        if headers.contains_key("HX-Request") {
            Self::Fragment
        } else {
            Self::Page
        }
    }

    pub fn is_fragment(self) -> bool {
        self == Self::Fragment
    }
}

impl From<&HttpRequest> for Wants {
    fn from(req: &HttpRequest) -> Self {
        Self::of(req)
    }
}

impl FromRequest for Wants {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// An event a response announces in `HX-Trigger`, which parts of the page
/// listen for (`hx-trigger="members-changed from:body"` in the templates,
/// and `static/app.js`): its wire name is written here only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HxEvent {
    /// The members list (or the Archived tab) changed: the tables reload.
    MembersChanged,
    /// A team's contacts changed: the Contacts list reloads.
    ContactsChanged,
}

impl HxEvent {
    pub const ALL: [HxEvent; 2] = [HxEvent::MembersChanged, HxEvent::ContactsChanged];

    pub fn wire_name(self) -> &'static str {
        match self {
            Self::MembersChanged => "members-changed",
            Self::ContactsChanged => "contacts-changed",
        }
    }

    /// `res` announcing this event.
    pub fn announce(self, mut res: HttpResponse) -> HttpResponse {
        res.headers_mut().insert(
            HeaderName::from_static("hx-trigger"),
            HeaderValue::from_static(self.wire_name()),
        );
        res
    }
}

fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

pub fn render(template: &impl Template) -> AppResult<HttpResponse> {
    render_status(StatusCode::OK, template)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> AppResult<HttpResponse> {
    Ok(html(status, template.render()?))
}

/// A page reached through a link with a secret token in its URL: it sends no
/// Referer (the token would leave with it) and is never cached.
pub fn render_token_page(status: StatusCode, template: &impl Template) -> AppResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(template.render()?))
}

/// The whole page on a normal request, only the fragment when htmx asks.
pub fn page_or_fragment<P: Template, F: Template>(
    wants: impl Into<Wants>,
    status: StatusCode,
    page: impl FnOnce() -> P,
    fragment: impl FnOnce() -> F,
) -> AppResult<HttpResponse> {
    match wants.into() {
        Wants::Fragment => render_status(status, &fragment()),
        Wants::Page => render_status(status, &page()),
    }
}

/// A page of the organization's `section` in full, or its fragment when htmx
/// asks; the fragment gets the session's CSRF token for its forms.
pub fn org_page_or_fragment<P: Template>(
    wants: impl Into<Wants>,
    ctx: &crate::web::plumbing::context::OrgContext,
    section: &'static str,
    status: StatusCode,
    page: impl FnOnce(crate::web::plumbing::context::Layout) -> P,
    fragment: impl FnOnce(&str) -> askama::Result<String>,
) -> AppResult<HttpResponse> {
    let layout = crate::web::plumbing::context::Layout::in_org(ctx, section);
    match wants.into() {
        Wants::Fragment => Ok(html(status, fragment(&layout.csrf)?)),
        Wants::Page => render_status(status, &page(layout)),
    }
}

#[derive(Template)]
#[template(path = "fragments/_toast.html")]
pub struct Toast<'a> {
    pub kind: &'a str,
    pub message: &'a str,
    pub oob: bool,
}

/// A changed fragment followed by an out-of-band toast announcing the change.
pub fn fragment_with_toast(
    fragment: &impl Template,
    kind: &str,
    message: &str,
) -> AppResult<HttpResponse> {
    let mut body = fragment.render()?;
    body.push_str(
        &Toast {
            kind,
            message,
            oob: true,
        }
        .render()?,
    );
    Ok(html(StatusCode::OK, body))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// After a change that leads to another page: a 303 for plain forms, `HX-Redirect`
/// for htmx (which would otherwise follow the 303 and swap a whole page into a fragment).
pub fn redirect(wants: impl Into<Wants>, location: &str) -> HttpResponse {
    match wants.into() {
        Wants::Fragment => HttpResponse::Ok()
            .insert_header(("HX-Redirect", location))
            .finish(),
        Wants::Page => see_other(location),
    }
}

/// For htmx requests, rewrites error pages into a toast swapped into `#toasts`,
/// and sign-in redirects into `HX-Redirect` so the whole page navigates.
pub async fn retarget_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let wants = Wants::of_headers(req.headers());
    let res = next.call(req).await?.map_into_boxed_body();
    if wants == Wants::Page {
        return Ok(res);
    }
    let Some(ErrorMessage(message)) = res.response().extensions().get::<ErrorMessage>().cloned()
    else {
        return Ok(res);
    };
    let status = res.status();
    let (req, old) = res.into_parts();
    let new = if status == StatusCode::SEE_OTHER {
        let location = old.headers().get(header::LOCATION).cloned();
        let mut r = HttpResponse::Ok().finish();
        if let Some(location) = location {
            r.headers_mut()
                .insert(header::HeaderName::from_static("hx-redirect"), location);
        }
        r
    } else {
        let body = Toast {
            kind: "error",
            message: &message,
            oob: false,
        }
        .render()
        .unwrap_or(message);
        let mut toast = HttpResponse::build(status);
        if let Some(retry_after) = old.headers().get(header::RETRY_AFTER) {
            toast.insert_header((header::RETRY_AFTER, retry_after.clone()));
        }
        toast
            .content_type("text/html; charset=utf-8")
            .insert_header(("HX-Retarget", "#toasts"))
            .insert_header(("HX-Reswap", "beforeend"))
            .body(body)
    };
    Ok(ServiceResponse::new(req, new))
}

#[cfg(test)]
mod tests {
    use super::HxEvent;

    /// The names the templates' `hx-trigger="… from:body"` and `static/app.js`
    /// listen for: renaming one here means renaming it there.
    #[test]
    fn every_event_has_its_wire_name() {
        let names: Vec<&str> = HxEvent::ALL.iter().map(|e| e.wire_name()).collect();
        assert_eq!(names, ["members-changed", "contacts-changed"]);
        let templates = [
            include_str!("../../../templates/fragments/members/_table.html"),
            include_str!("../../../templates/fragments/members/_archived.html"),
            include_str!("../../../templates/fragments/contacts/_contacts.html"),
        ]
        .concat();
        for event in HxEvent::ALL {
            assert!(
                templates.contains(&format!("hx-trigger=\"{} from:body\"", event.wire_name())),
                "{event:?} is listened for"
            );
        }
        assert!(
            include_str!("../../../static/app.js").contains(HxEvent::MembersChanged.wire_name())
        );
    }
}
