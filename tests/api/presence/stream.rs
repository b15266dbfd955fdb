//! The live stream, read by a real HTTP client from running instances.

use std::time::Duration;

use super::{ada_and_bob, beat, beat_at, quick, Events};
use crate::helpers::{spawn_app, spawn_app_with, spawn_instance};

const SOON: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_second_accounts_heartbeat_arrives_on_the_stream_as_an_event_for_their_row() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let mut events = Events::open(&app.client, &app.address, org).await;

    let res = beat(&bob_client, org, "tab-bob-0001", "active").await;
    assert_eq!(res.status(), 204);

    let event = events
        .expect(&format!("presence-{bob}"), "Online", SOON)
        .await;
    // The data is the row's new dot, ready for htmx to swap in.
    assert!(
        event.data.contains(&format!("sse-swap=\"presence-{bob}\"")),
        "{}",
        event.data
    );
    assert!(event.data.contains("presence-online"), "{}", event.data);
    assert!(event.data.contains("last seen just now"), "{}", event.data);
}

#[tokio::test]
async fn away_and_offline_arrive_without_any_request_from_the_leaving_person() {
    let app = spawn_app_with(quick).await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let mut events = Events::open(&app.client, &app.address, org).await;
    let name = format!("presence-{bob}");

    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "active")
            .await
            .status(),
        204
    );
    events.expect(&name, "Online", SOON).await;
    // Bob's tab is hidden: away at once.
    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "hidden")
            .await
            .status(),
        204
    );
    events.expect(&name, "Away", SOON).await;
    // Then Bob's browser goes quiet: the ticker takes him offline (2 s here).
    let started = std::time::Instant::now();
    events.expect(&name, "Offline", SOON).await;
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before the threshold"
    );
}

#[tokio::test]
async fn an_idle_stream_gets_keep_alive_comments_and_a_closed_browser_releases_its_stream() {
    let app = spawn_app_with(quick).await;
    let (org, _, _) = ada_and_bob(&app).await;
    let mut events = Events::open(&app.client, &app.address, org).await;
    events.read_for(Duration::from_millis(2500)).await;
    assert!(
        events.raw().matches(": keep-alive").count() >= 2,
        "{:?}",
        events.raw()
    );
    assert_eq!(app.presence.open_streams(), 1);

    drop(events);
    for _ in 0..100 {
        if app.presence.open_streams() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the stream stayed open after the browser went away");
}

#[tokio::test]
async fn a_change_on_one_instance_reaches_a_stream_on_another() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let other = spawn_instance(&app, |_| {}).await;
    // Ada watches through instance B; Bob reports to instance A, and back.
    let mut on_b = Events::open(&app.client, &other, org).await;
    let mut on_a = Events::open(&app.client, &app.address, org).await;

    let res = beat_at(&bob_client, &app.address, org, "tab-bob-0001", "active").await;
    assert_eq!(res.status(), 204);
    let name = format!("presence-{bob}");
    on_b.expect(&name, "Online", SOON).await;
    on_a.expect(&name, "Online", SOON).await;

    let res = beat_at(&bob_client, &other, org, "tab-bob-0001", "hidden").await;
    assert_eq!(res.status(), 204);
    on_a.expect(&name, "Away", SOON).await;
    on_b.expect(&name, "Away", SOON).await;
}

#[tokio::test]
async fn a_member_without_members_view_hears_only_their_own_presence() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let ada = super::member_id(&app, "ada@example.com").await;
    let mut bobs = Events::open(&bob_client, &app.address, org).await;

    assert_eq!(
        beat(&app.client, org, "tab-ada-0001", "active")
            .await
            .status(),
        204
    );
    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "active")
            .await
            .status(),
        204
    );
    let event = bobs.next(SOON).await.expect("Bob's own event");
    assert_eq!(
        event.name,
        format!("presence-{bob}"),
        "Ada's came first: {event:?}"
    );
    assert!(
        bobs.next(Duration::from_millis(500)).await.is_none(),
        "nothing about Ada ({ada})"
    );
}
