//! `GET /orgs/{org}/presence/stream`: Server-Sent Events for one
//! organization's presence, one named event per member (`presence-<id>`) whose
//! data is that member's new dot. The stream holds a broadcast receiver only;
//! comments keep it alive while idle; it ends after `stream_lifetime` (the
//! browser reconnects and is checked again) or when the browser goes away.

use std::convert::Infallible;
use std::sync::Arc;

use actix_web::{http::header, web, web::Bytes, HttpResponse};
use tokio::sync::broadcast::{error::RecvError, Receiver};
use tokio::time::{Instant, Interval};

use super::hub::{Frame, Hub, OpenStream};
use crate::config::Settings;
use crate::domain::policy;
use crate::error::AppResult;
use crate::web::plumbing::context::OrgContext;

/// Sent first: the browser's reconnection delay, and bytes to flush the headers.
const OPENING: &[u8] = b"retry: 2000\n: presence\n\n";
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

struct Watch {
    frames: Receiver<Arc<Frame>>,
    org: i64,
    /// Without `members.view`, only one's own presence.
    only_account: Option<i64>,
    keep_alive: Interval,
    ends: Instant,
    opened: bool,
    _open: OpenStream,
}

impl Watch {
    fn wants(&self, frame: &Frame) -> bool {
        frame.org == self.org && self.only_account.is_none_or(|a| a == frame.account)
    }

    async fn next(mut self) -> Option<(Result<Bytes, Infallible>, Self)> {
        if !self.opened {
            self.opened = true;
            return Some((Ok(Bytes::from_static(OPENING)), self));
        }
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(self.ends) => return None,
                _ = self.keep_alive.tick() => {
                    return Some((Ok(Bytes::from_static(KEEP_ALIVE)), self));
                }
                received = self.frames.recv() => match received {
                    Ok(frame) if self.wants(&frame) => {
                        self.keep_alive.reset();
                        return Some((Ok(frame.bytes.clone()), self));
                    }
                    Ok(_) => continue,
                    // Too far behind: the skipped changes are lost to this
                    // page; newer ones still come.
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::debug!(skipped, "a presence stream fell behind");
                        continue;
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

pub async fn presence_stream(
    ctx: OrgContext,
    hub: web::Data<Arc<Hub>>,
    settings: web::Data<Settings>,
) -> AppResult<HttpResponse> {
    super::require_presence(&ctx)?;
    let sees_all = policy::check(&ctx.actor, policy::Action::ViewMembers).is_ok();
    let (frames, open) = hub.subscribe();
    let every = settings.presence.keep_alive;
    let watch = Watch {
        frames,
        org: ctx.org.id.0,
        only_account: (!sees_all).then_some(ctx.actor.account_id.0),
        keep_alive: tokio::time::interval_at(Instant::now() + every, every),
        ends: Instant::now() + settings.presence.stream_lifetime,
        opened: false,
        _open: open,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // Proxies such as nginx would otherwise buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold(watch, Watch::next)))
}
