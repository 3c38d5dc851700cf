//! A browser: a cookie jar, no redirects followed, forms posted from the
//! page's origin; the one way a test signs a user in (the hosted login page).

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use tessera::domain::crypto::{b64url, random_token, sha256};
use url::Url;

use crate::helpers::*;

/// A PKCE pair: (verifier, S256 challenge).
pub fn pkce_pair() -> (String, String) {
    let verifier = random_token(32);
    let challenge = b64url(&sha256(verifier.as_bytes()));
    (verifier, challenge)
}

/// A browser-like client with a cookie jar.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<Jar>,
    /// Where it sends requests for the issuer.
    pub(crate) issuer: String,
}

/// Where a redirect went, parsed.
#[derive(Debug)]
pub struct Redirect {
    pub status: u16,
    pub location: Url,
}

impl Redirect {
    pub fn param(&self, name: &str) -> Option<String> {
        self.location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn has_param(&self, name: &str) -> bool {
        self.param(name).is_some()
    }
}

/// The redirect a response makes; panics if it is not one.
pub fn redirect_of(response: &reqwest::Response, base: &str) -> Redirect {
    let status = response.status().as_u16();
    assert!(
        (300..400).contains(&status),
        "expected a redirect, got {status}"
    );
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header");
    let location = Url::parse(base)
        .expect("base")
        .join(location)
        .expect("location url");
    Redirect { status, location }
}

/// Text as it was before HTML escaping.
pub fn unescape_html(value: &str) -> String {
    value
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The value of a hidden form field in one of Tessera's pages.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl Browser {
    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.expect("GET")
    }

    /// POST a form the way a browser posts one from Tessera's own pages:
    /// with the page's `Origin`.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(url)
            .header("origin", self.issuer.as_str())
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Start an authorization request and return where Tessera sends the browser.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        let mut url = Url::parse(&format!("{}/authorize", self.issuer)).expect("url");
        url.query_pairs_mut().extend_pairs(params);
        self.get(url.as_str()).await
    }

    /// Load the login page at `login_url` and submit it with these credentials.
    pub async fn submit_login(
        &self,
        login_url: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        let page = self.get(login_url).await;
        assert_eq!(page.status(), 200, "the login page loads");
        let html = page.text().await.expect("login html");
        let csrf = hidden_field(&html, "csrf_token").expect("a CSRF field");
        let mut form = vec![
            ("username", username),
            ("password", password),
            ("csrf_token", csrf.as_str()),
        ];
        let request = hidden_field(&html, "request");
        if let Some(request) = &request {
            form.push(("request", request.as_str()));
        }
        let rd = hidden_field(&html, "rd").map(|rd| unescape_html(&rd));
        if let Some(rd) = &rd {
            form.push(("rd", rd.as_str()));
        }
        self.post_form(&format!("{}/login", self.issuer), &form)
            .await
    }

    /// Run an authorization request through to the client's callback,
    /// signing in on the way if Tessera asks. Returns the callback redirect.
    pub async fn authorize_through(&self, params: &[(&str, &str)], username: &str) -> Redirect {
        let response = self.authorize(params).await;
        let mut redirect = redirect_of(&response, &self.issuer);
        if redirect.location.path() == "/login" {
            let response = self
                .submit_login(redirect.location.as_str(), username, PASSWORD)
                .await;
            redirect = redirect_of(&response, &self.issuer);
        }
        redirect
    }

    /// The session cookie as it would be sent to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        self.jar
            .cookies(&Url::parse(url).expect("url"))
            .and_then(|v| v.to_str().ok().map(str::to_string))
            .unwrap_or_default()
    }
}

/// Authorization parameters for a confidential client with PKCE.
pub fn code_params<'a>(
    client: &'a TestClient,
    challenge: &'a str,
    state: &'a str,
    nonce: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("scope", "openid profile email offline_access"),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

impl Browser {
    /// Press Sign out on Tessera's home page.
    pub async fn sign_out(&self) -> reqwest::Response {
        let home = self
            .get(&format!("{}/", self.issuer))
            .await
            .text()
            .await
            .expect("home page");
        let csrf = hidden_field(&home, "csrf_token").expect("a Sign out form");
        self.post_form(
            &format!("{}/logout", self.issuer),
            &[("csrf_token", csrf.as_str()), ("confirm", "yes")],
        )
        .await
    }
}

/// Is `browser` signed in? A silent (`prompt=none`) request for `client` answers.
pub async fn signed_in(browser: &Browser, client: &TestClient) -> bool {
    let (_, challenge) = pkce_pair();
    let mut params = code_params(client, &challenge, "s", "n");
    params.push(("prompt", "none"));
    let redirect = redirect_of(&browser.authorize(&params).await, "http://x");
    match redirect.param("error").as_deref() {
        None => redirect.has_param("code"),
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other}"),
    }
}

/// Answer the consent page `html` with `decision` (`approve` or `deny`).
pub async fn decide_consent(
    app: &TestApp,
    browser: &Browser,
    html: &str,
    decision: &str,
) -> Redirect {
    let csrf = hidden_field(html, "csrf_token").expect("csrf");
    let request = hidden_field(html, "request").expect("request");
    let response = browser
        .post_form(
            &app.url("/consent"),
            &[
                ("csrf_token", &csrf),
                ("request", &request),
                ("decision", decision),
            ],
        )
        .await;
    redirect_of(&response, &app.issuer)
}
