//! A reverse proxy in front of applications, as the tests play it: it asks
//! Tessera's forward-auth endpoints about each request with the browser's
//! cookies and the headers Traefik, Caddy or nginx would send.

use tessera::admin::apps::{NewApp, create_app};
use tessera::domain::{Actor, App};

use crate::helpers::*;

pub const GATED_HOST: &str = "app.example.test";
/// The origin the proxy serves the application on in these tests.
pub const GATED_ORIGIN: &str = "http://app.example.test:8443";

/// Register an application behind the gateway through the running
/// server's own store (so its caches see the change at once).
pub async fn register_app(app: &TestApp, host: &str, groups: &[&str], users: &[&str]) -> App {
    create_app(
        app.state.provider.store(),
        Some("example.test"),
        NewApp {
            name: format!("The {host} application"),
            host: host.into(),
            allow_groups: groups.iter().map(|g| g.to_string()).collect(),
            allow_users: users.iter().map(|u| u.to_string()).collect(),
            ..NewApp::default()
        },
        &Actor::Cli,
        app.now(),
    )
    .await
    .expect("register the application")
}

/// How the proxy asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proxy {
    /// Traefik `ForwardAuth`, Caddy `forward_auth`: `X-Forwarded-*`.
    Forwarded,
    /// nginx `auth_request`: `X-Original-URL`, `X-Original-Method`.
    Nginx,
}

/// One request of the browser to the application, as the proxy describes
/// it to Tessera.
pub struct Ask<'a> {
    pub method: &'a str,
    /// Path and query on the application.
    pub uri: &'a str,
    pub accept: Option<&'a str>,
    pub xhr: bool,
    pub host: &'a str,
}

impl Default for Ask<'_> {
    fn default() -> Self {
        Self {
            method: "GET",
            uri: "/",
            accept: Some("text/html,application/xhtml+xml,*/*;q=0.8"),
            xhr: false,
            host: GATED_HOST,
        }
    }
}

/// Ask `app` about a request `browser` makes to the gated application.
pub async fn ask(
    app: &TestApp,
    browser: &Browser,
    proxy: Proxy,
    ask: Ask<'_>,
) -> reqwest::Response {
    let origin = format!("http://{}:8443", ask.host);
    let cookies = browser.cookies_for(&format!("{origin}/"));
    let http = app.http();
    let mut request = match proxy {
        Proxy::Forwarded => http
            .get(app.url("/forward-auth"))
            .header("X-Forwarded-Method", ask.method)
            .header("X-Forwarded-Proto", "http")
            .header("X-Forwarded-Host", format!("{}:8443", ask.host))
            .header("X-Forwarded-Uri", ask.uri),
        Proxy::Nginx => http
            .request(
                reqwest::Method::from_bytes(ask.method.as_bytes()).expect("method"),
                app.url("/forward-auth/nginx"),
            )
            .header("X-Original-URL", format!("{origin}{}", ask.uri))
            .header("X-Original-Method", ask.method),
    };
    if !cookies.is_empty() {
        request = request.header("Cookie", cookies);
    }
    if let Some(accept) = ask.accept {
        request = request.header("Accept", accept);
    }
    if ask.xhr {
        request = request.header("X-Requested-With", "XMLHttpRequest");
    }
    request.send().await.expect("forward-auth")
}

/// A page request through the Traefik/Caddy contract.
pub async fn ask_page(app: &TestApp, browser: &Browser) -> reqwest::Response {
    ask(app, browser, Proxy::Forwarded, Ask::default()).await
}

pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The internal JWT of an allowed answer.
pub fn internal_jwt(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 200, "the request is allowed");
    header(response, "X-Internal-JWT").expect("an internal JWT")
}

/// Sign `username` in the way the gateway sends a browser: to the login
/// page with the page to return to, and back. Returns where Tessera sent
/// the browser after signing in.
pub async fn sign_in_through_gateway(app: &TestApp, browser: &Browser, username: &str) -> String {
    let response = ask_page(app, browser).await;
    assert_eq!(response.status(), 302, "not signed in: to the login page");
    let login = header(&response, "Location").expect("a login URL");
    let done = browser.submit_login(&login, username, PASSWORD).await;
    assert_eq!(done.status(), 303, "signed in");
    header(&done, "Location").expect("where to go next")
}
