//! Static assets compiled into the binary: our own `static/` folder, and htmx
//! and its SSE extension from their npm packages. URLs carry a content hash, so
//! responses can be cached for a year.

use std::{collections::HashMap, sync::OnceLock};

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Own;

#[derive(RustEmbed)]
#[folder = "node_modules/htmx.org/dist/"]
#[include = "htmx.min.js"]
struct Htmx;

#[derive(RustEmbed)]
#[folder = "node_modules/htmx-ext-sse/dist/"]
#[include = "sse.min.js"]
struct HtmxSse;

fn get(path: &str) -> Option<rust_embed::EmbeddedFile> {
    Own::get(path)
        .or_else(|| Htmx::get(path))
        .or_else(|| HtmxSse::get(path))
}

fn hashes() -> &'static HashMap<String, String> {
    static HASHES: OnceLock<HashMap<String, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        Own::iter()
            .chain(Htmx::iter())
            .chain(HtmxSse::iter())
            .filter_map(|path| {
                let file = get(&path)?;
                Some((
                    path.to_string(),
                    hex::encode(&file.metadata.sha256_hash()[..8]),
                ))
            })
            .collect()
    })
}

/// The URL of an asset, with its content hash: `/static/<hash>/<path>`.
pub fn url(path: &str) -> String {
    let hash = hashes().get(path).map(String::as_str).unwrap_or("0");
    format!("/static/{hash}/{path}")
}

pub async fn serve(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (hash, path) = path.into_inner();
    let Some(file) = get(&path) else {
        return HttpResponse::NotFound().finish();
    };
    let current = hashes().get(&path).cloned().unwrap_or_default();
    let etag = format!("\"{current}\"");
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish();
    }
    let cache = if hash == current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    HttpResponse::Ok()
        .content_type(
            mime_guess::from_path(&path)
                .first_or_octet_stream()
                .essence_str(),
        )
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(file.data.into_owned())
}
