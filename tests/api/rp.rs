//! A relying party's side of back-channel logout, for the tests: HTTP
//! endpoints that receive logout tokens.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use tessera::admin::clients::NewClient;

use crate::helpers::{ClosedPort, client_spec};

/// A relying party's back-channel logout endpoint: records every
/// `logout_token` POSTed to it and answers 200.
pub struct TestRp {
    pub port: u16,
    pub received: Arc<std::sync::Mutex<Vec<String>>>,
}

impl TestRp {
    /// On a port of its own.
    pub async fn start() -> TestRp {
        Self::on(TcpListener::bind("127.0.0.1:0").expect("bind")).await
    }

    /// On a port that was closed until now (the RP was down).
    pub async fn start_on(port: ClosedPort) -> TestRp {
        Self::on(port.open()).await
    }

    async fn on(listener: TcpListener) -> TestRp {
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        let server = actix_web::HttpServer::new(move || {
            let store = store.clone();
            actix_web::App::new().route(
                "/backchannel",
                web::post().to(move |body: web::Bytes| {
                    let store = store.clone();
                    async move {
                        let form: Vec<(String, String)> =
                            url::form_urlencoded::parse(&body).into_owned().collect();
                        let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
                        assert_eq!(names, ["logout_token"], "only logout_token is sent");
                        store.lock().expect("lock").push(form[0].1.clone());
                        actix_web::HttpResponse::Ok().finish()
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        TestRp { port, received }
    }

    /// A back-channel logout URI on `port`, whether or not anything listens.
    pub fn uri_on(port: u16) -> String {
        format!("http://127.0.0.1:{port}/backchannel")
    }

    pub fn uri(&self) -> String {
        Self::uri_on(self.port)
    }

    pub fn tokens(&self) -> Vec<String> {
        self.received.lock().expect("lock").clone()
    }

    /// Wait (polling) until `n` logout tokens have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let tokens = self.tokens();
            if tokens.len() >= n {
                return tokens;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} logout tokens, got {}", self.tokens().len());
    }
}

/// A client that wants back-channel logout notices at `uri`.
pub fn backchannel_client(id: &str, host: &str, uri: &str) -> NewClient {
    NewClient {
        backchannel_logout_uri: Some(uri.to_string()),
        backchannel_logout_session_required: true,
        ..client_spec(id, host)
    }
}

/// A back-channel endpoint that answers only when the test says so: each
/// logout token arrives with the means to answer it.
pub struct HeldRp {
    pub port: u16,
    pub arrivals: tokio::sync::mpsc::UnboundedReceiver<(String, tokio::sync::oneshot::Sender<()>)>,
}

impl HeldRp {
    pub async fn start() -> HeldRp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (tx, arrivals) = tokio::sync::mpsc::unbounded_channel();
        let server = actix_web::HttpServer::new(move || {
            let tx = tx.clone();
            actix_web::App::new().route(
                "/backchannel",
                web::post().to(move |body: web::Bytes| {
                    let tx = tx.clone();
                    async move {
                        let token = url::form_urlencoded::parse(&body)
                            .find(|(k, _)| k == "logout_token")
                            .map(|(_, v)| v.into_owned())
                            .unwrap_or_default();
                        let (answer, answered) = tokio::sync::oneshot::channel();
                        if tx.send((token, answer)).is_ok() {
                            // A dropped sender answers as well.
                            let _ = answered.await;
                        }
                        actix_web::HttpResponse::Ok().finish()
                    }
                }),
            )
        })
        .workers(2)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        HeldRp { port, arrivals }
    }

    pub fn uri(&self) -> String {
        TestRp::uri_on(self.port)
    }

    /// The next logout token to arrive, and its answer.
    pub async fn next(&mut self) -> (String, tokio::sync::oneshot::Sender<()>) {
        tokio::time::timeout(Duration::from_secs(20), self.arrivals.recv())
            .await
            .expect("a logout token in time")
            .expect("the endpoint is up")
    }
}
