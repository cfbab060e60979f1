//! The real server on a loopback port of its own, asked over real HTTP.

use comptoir_server::Health;

#[tokio::test]
async fn health_answers_over_http() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(comptoir_server::serve(listener, async {
        let _ = stopped.await;
    }));
    let health: Health = reqwest::get(format!("http://{address}/v1/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health, Health { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() });
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
