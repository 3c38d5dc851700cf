//! What a relying party's back end calls: the token endpoint, userinfo,
//! introspection and revocation.

use crate::helpers::*;

/// POST /token with HTTP Basic client authentication.
pub async fn token_request(
    app: &TestApp,
    client: &TestClient,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.http().post(app.url("/token")).form(form);
    match &client.secret {
        Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
        None => {
            let mut with_id = form.to_vec();
            with_id.push(("client_id", client.id.as_str()));
            request = app.http().post(app.url("/token")).form(&with_id);
        }
    }
    request.send().await.expect("token request")
}

/// Exchange `code` (with its PKCE verifier) at the token endpoint.
pub async fn exchange_code(
    app: &TestApp,
    client: &TestClient,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    token_request(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// Sign in `username` and exchange the code: the token response JSON.
pub async fn login_and_exchange(
    app: &TestApp,
    browser: &Browser,
    client: &TestClient,
    username: &str,
) -> serde_json::Value {
    login_and_exchange_scope(
        app,
        browser,
        client,
        username,
        "openid profile email offline_access",
    )
    .await
}

/// Sign in `username`, asking for `scope`, and exchange the code.
pub async fn login_and_exchange_scope(
    app: &TestApp,
    browser: &Browser,
    client: &TestClient,
    username: &str,
    scope: &str,
) -> serde_json::Value {
    let (verifier, challenge) = pkce_pair();
    let mut params = code_params(client, &challenge, "st", "n0nce");
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", scope));
    let redirect = browser.authorize_through(&params, username).await;
    let code = redirect.param("code").expect("a code");
    let response = exchange_code(app, client, &code, &verifier).await;
    assert_eq!(response.status(), 200, "the code exchange succeeds");
    response.json().await.expect("token json")
}

/// GET /userinfo with a bearer token.
pub async fn userinfo(app: &TestApp, access_token: &str) -> reqwest::Response {
    app.http()
        .get(app.url("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("userinfo")
}

/// A space-separated scope value as a sorted set (scope order carries no meaning).
pub fn scope_set(value: &serde_json::Value) -> std::collections::BTreeSet<String> {
    value
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The sorted set of the scopes in `value`.
pub fn scopes(value: &str) -> std::collections::BTreeSet<String> {
    scope_set(&serde_json::Value::String(value.into()))
}

/// POST /introspect as `caller` (HTTP Basic); the JSON answer.
pub async fn introspect(
    app: &TestApp,
    caller: &TestClient,
    token: &str,
    hint: Option<&str>,
) -> serde_json::Value {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    let response = app
        .http()
        .post(app.url("/introspect"))
        .basic_auth(&caller.id, caller.secret.as_ref())
        .form(&form)
        .send()
        .await
        .expect("introspect");
    assert_eq!(response.status(), 200, "introspection answers 200");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.expect("introspection json")
}

/// POST /revoke as `client` (HTTP Basic, or client_id for a public client).
pub async fn revoke(
    app: &TestApp,
    client: &TestClient,
    token: &str,
    hint: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("token", token)];
    if let Some(hint) = hint {
        form.push(("token_type_hint", hint));
    }
    let request = app.http().post(app.url("/revoke"));
    let request = match &client.secret {
        Some(secret) => request.basic_auth(&client.id, Some(secret)).form(&form),
        None => {
            form.push(("client_id", client.id.as_str()));
            request.form(&form)
        }
    };
    request.send().await.expect("revoke")
}

/// The status of a refresh with `token`.
pub async fn refresh_status(app: &TestApp, client: &TestClient, token: &str) -> u16 {
    token_request(
        app,
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
    .status()
    .as_u16()
}

/// A string member of a JSON body.
pub fn field(body: &serde_json::Value, name: &str) -> String {
    body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {body}"))
        .to_string()
}

/// How many refresh families in the database at `database_url` hold more
/// than one unused token: a token rotated twice forks its family.
pub async fn forked_refresh_families(database_url: &str) -> usize {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(database_url).await.expect("database");
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT grant_id FROM refresh_tokens WHERE used_at IS NULL \
         GROUP BY grant_id HAVING COUNT(*) > 1",
    ))
    .await
    .expect("query")
    .len()
}
