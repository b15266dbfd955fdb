//! htmx helpers: one place decides between a full page and a fragment, adds
//! out-of-band toasts to changes, and turns error pages into toasts (or a
//! client-side redirect to sign-in) when htmx made the request.

use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    Error, HttpRequest, HttpResponse,
};
use askama::Template;

use crate::error::{AppResult, ErrorMessage};

pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
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
    req: &HttpRequest,
    status: StatusCode,
    page: impl FnOnce() -> P,
    fragment: impl FnOnce() -> F,
) -> AppResult<HttpResponse> {
    if is_htmx(req) {
        render_status(status, &fragment())
    } else {
        render_status(status, &page())
    }
}

/// A page of the organization's `section` in full, or its fragment when htmx
/// asks; the fragment gets the session's CSRF token for its forms.
pub fn org_page_or_fragment<P: Template>(
    req: &HttpRequest,
    ctx: &crate::web::plumbing::context::OrgContext,
    section: &'static str,
    status: StatusCode,
    page: impl FnOnce(crate::web::plumbing::context::Layout) -> P,
    fragment: impl FnOnce(&str) -> askama::Result<String>,
) -> AppResult<HttpResponse> {
    let layout = crate::web::plumbing::context::Layout::in_org(ctx, section);
    if is_htmx(req) {
        Ok(html(status, fragment(&layout.csrf)?))
    } else {
        render_status(status, &page(layout))
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
pub fn redirect(req: &HttpRequest, location: &str) -> HttpResponse {
    if is_htmx(req) {
        HttpResponse::Ok()
            .insert_header(("HX-Redirect", location))
            .finish()
    } else {
        see_other(location)
    }
}

/// For htmx requests, rewrites error pages into a toast swapped into `#toasts`,
/// and sign-in redirects into `HX-Redirect` so the whole page navigates.
pub async fn retarget_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let htmx = req.headers().contains_key("HX-Request");
    let res = next.call(req).await?.map_into_boxed_body();
    if !htmx {
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
