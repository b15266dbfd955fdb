//! Error pages inside the app's layout for a signed-in person: a 403, 404,
//! 409 or 422 page keeps the organization's navigation when the address is in
//! an organization they are an active member of, else the signed-in shell
//! (their own organizations only, so a foreign id never shows another
//! organization's name). Anonymous visitors, htmx requests (a toast, see
//! `web::plumbing::htmx::retarget_errors`) and server errors keep the plain page of
//! `crate::error`; so does anything that fails while drawing the layout.

use actix_session::SessionExt;
use actix_web::{
    body::{BoxBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::StatusCode,
    middleware::Next,
    Error, FromRequest, HttpRequest, HttpResponse,
};
use askama::Template;

use crate::error::{ErrorMessage, ErrorTitle};
use crate::web::plumbing::context::{signed_in_account_id, Layout, OrgContext, SignedIn};

#[derive(Template)]
#[template(path = "pages/errors/in_app.html")]
struct InAppErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
    status: u16,
}

/// The errors a person meets while using the app; a 5xx may mean the
/// database is gone, and a 429 must stay cheap.
fn drawn_in_app(status: StatusCode) -> bool {
    matches!(status.as_u16(), 403 | 404 | 409 | 422)
}

pub async fn in_app(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let htmx = crate::web::plumbing::htmx::Wants::of_headers(req.headers()).is_fragment();
    let res = next.call(req).await?.map_into_boxed_body();
    if htmx || !drawn_in_app(res.status()) {
        return Ok(res);
    }
    let found = {
        let extensions = res.response().extensions();
        (
            extensions.get::<ErrorMessage>().cloned(),
            extensions.get::<ErrorTitle>().copied(),
        )
    };
    let (Some(ErrorMessage(message)), Some(ErrorTitle(title))) = found else {
        return Ok(res);
    };
    let request = res.request().clone();
    if signed_in_account_id(&request.get_session()).is_none() {
        return Ok(res);
    }
    let Some(layout) = layout_for(&request).await else {
        return Ok(res);
    };
    let status = res.status();
    let page = InAppErrorPage {
        layout,
        title,
        message: &message,
        status: status.as_u16(),
    };
    let Ok(body) = page.render() else {
        return Ok(res);
    };
    let mut new = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body);
    new.extensions_mut().insert(ErrorMessage(message));
    new.extensions_mut().insert(ErrorTitle(title));
    Ok(res.into_response(new).map_into_boxed_body())
}

/// The organization's layout when the person is an active member of the
/// organization in the address, else their signed-in shell; `None` when
/// neither can be read (the page stays plain).
async fn layout_for(req: &HttpRequest) -> Option<Layout> {
    if req.match_info().get("org").is_some() {
        if let Ok(ctx) = OrgContext::from_request(req, &mut Payload::None).await {
            return Some(Layout::in_org(&ctx, ""));
        }
    }
    let me = SignedIn::from_request(req, &mut Payload::None).await.ok()?;
    Some(Layout::signed_in(&me, ""))
}
