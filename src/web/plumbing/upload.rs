//! Request bodies read with a cap (refused as soon as they pass it, never
//! buffered beyond), and multipart forms (the invite dialog's CSV upload) split
//! into their parts. Used by the CSRF guard and by the handlers that take uploads.

use actix_web::{error::PayloadError, http::header, web::Bytes, HttpMessage};
use futures_util::{Stream, StreamExt};

use crate::error::{AppError, AppResult};

/// The most an uploaded CSV may hold.
pub const MAX_CSV_BYTES: usize = 1024 * 1024;
/// The most the invite dialog's form may hold: a CSV plus the other fields.
pub const MAX_INVITE_FORM_BYTES: usize = MAX_CSV_BYTES + 64 * 1024;

pub fn too_large(limit: usize) -> AppError {
    if limit >= MAX_CSV_BYTES {
        AppError::TooLarge(format!(
            "The list or CSV file is too large: at most {} MiB.",
            MAX_CSV_BYTES / (1024 * 1024)
        ))
    } else {
        AppError::TooLarge(format!(
            "The form is too large (more than {} KiB).",
            limit / 1024
        ))
    }
}

/// Refuses at once a body that announces more than `limit` bytes.
pub fn check_length(req: &impl HttpMessage, limit: usize) -> AppResult<()> {
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match announced {
        Some(n) if n > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

/// Reads a whole body, refusing it as soon as it passes `limit`.
pub async fn read_capped<S>(mut stream: S, limit: usize) -> AppResult<Bytes>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| AppError::Validation("The form could not be read.".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

pub fn is_multipart(req: &impl HttpMessage) -> bool {
    req.content_type() == "multipart/form-data"
}

/// One part of a multipart form: a field, or a file when it has a file name.
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Bytes,
}

impl Part {
    /// The part as text; a file that is not UTF-8 is refused with a message.
    pub fn text(&self) -> AppResult<String> {
        String::from_utf8(self.data.to_vec()).map_err(|_| {
            AppError::Validation(format!(
                "{} is not a text file in UTF-8.",
                self.filename.as_deref().unwrap_or(&self.name)
            ))
        })
    }
}

/// The parts of a multipart body already read in full.
pub async fn parts(headers: &header::HeaderMap, body: Bytes) -> AppResult<Vec<Part>> {
    let unreadable = || AppError::Validation("The form could not be read.".into());
    let stream = futures_util::stream::once(async move { Ok::<_, PayloadError>(body) });
    let mut multipart = actix_multipart::Multipart::new(headers, stream);
    let mut out = Vec::new();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| unreadable())?;
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            data.extend_from_slice(&chunk.map_err(|_| unreadable())?);
        }
        out.push(Part {
            name,
            filename,
            data: Bytes::from(data),
        });
    }
    Ok(out)
}

/// The text fields of a multipart form as (name, value) pairs, like [`super::forms::pairs`].
pub fn text_fields(parts: &[Part]) -> Vec<(String, String)> {
    parts
        .iter()
        .filter(|p| p.filename.is_none())
        .map(|p| {
            (
                p.name.clone(),
                String::from_utf8_lossy(&p.data).into_owned(),
            )
        })
        .collect()
}
