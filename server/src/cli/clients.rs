//! `tessera client …`

use clap::{ArgAction, Args, Subcommand};
use serde_json::json;

use super::{output, parse_alg, parse_auth_method, parse_grant};
use crate::admin;
use crate::admin::apis::AllowanceChange;
use crate::admin::clients::{ClientUpdate, CreatedClient, NewClient};
use crate::domain::{
    Actor, AuthMethod, Client, DeliveryStatus, GrantType, RedirectUriPolicy, SigningAlg,
};
use crate::startup::Services;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a confidential client's secret is printed once.
    Create(CreateClient),
    /// Change a client's registration.
    Update(UpdateClient),
    /// Show a client, with how its back-channel logout deliveries are going.
    Show { client_id: String },
    /// List clients.
    List,
    /// Give a confidential client a new secret (printed once); the old one stops working.
    RotateSecret {
        #[arg(allow_hyphen_values = true)]
        client_id: String,
    },
    /// Delete a client with its consents and tokens.
    Delete {
        client_id: String,
        /// Type the client_id again to confirm.
        #[arg(long)]
        confirm: String,
    },
}

#[derive(Debug, Args)]
pub struct CreateClient {
    /// Display name shown on the login and consent pages.
    #[arg(long)]
    pub name: String,
    /// The client_id (generated when omitted).
    #[arg(long)]
    pub id: Option<String>,
    /// A public client (SPA or native app): no secret, PKCE required.
    #[arg(long)]
    pub public: bool,
    /// client_secret_basic (default) or client_secret_post.
    #[arg(long, value_parser = parse_auth_method)]
    pub auth_method: Option<AuthMethod>,
    /// A redirect URI, matched exactly; repeat for several.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// authorization_code, refresh_token or client_credentials; repeat for
    /// several (default: authorization_code and refresh_token).
    #[arg(long = "grant", value_parser = parse_grant)]
    pub grants: Vec<GrantType>,
    /// The operator's own app: users are not asked for consent.
    #[arg(long)]
    pub first_party: bool,
    /// ID token (and logout token) signing algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long, value_parser = parse_alg, default_value = "RS256")]
    pub id_token_alg: SigningAlg,
    /// Access token signing algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long, value_parser = parse_alg, default_value = "RS256")]
    pub access_token_alg: SigningAlg,
    /// Where the browser may return after signing out, matched exactly; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Where logout tokens are POSTed when a session of this client ends.
    #[arg(long)]
    pub backchannel_logout_uri: Option<String>,
    /// The client needs `sid` in logout tokens (always sent).
    #[arg(long)]
    pub backchannel_logout_session_required: bool,
    /// A scope the client may be granted; repeat for several (default: the
    /// OpenID scopes openid, profile, email, offline_access).
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UpdateClient {
    pub client_id: String,
    #[arg(long)]
    pub name: Option<String>,
    /// client_secret_basic, client_secret_post or none (public). Becoming
    /// confidential prints a new secret once; a change between public and
    /// confidential ends every token the client holds.
    #[arg(long, value_parser = parse_auth_method)]
    pub auth_method: Option<AuthMethod>,
    /// Replaces the registered redirect URIs; repeat for several.
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Replaces the grants; repeat for several.
    #[arg(long = "grant", value_parser = parse_grant)]
    pub grants: Vec<GrantType>,
    #[arg(long, action = ArgAction::Set)]
    pub first_party: Option<bool>,
    #[arg(long, value_parser = parse_alg)]
    pub id_token_alg: Option<SigningAlg>,
    #[arg(long, value_parser = parse_alg)]
    pub access_token_alg: Option<SigningAlg>,
    /// Replaces the post-logout redirect URIs; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Remove every post-logout redirect URI.
    #[arg(long, conflicts_with = "post_logout_redirect_uris")]
    pub no_post_logout_redirect_uris: bool,
    /// The back-channel logout URI; an empty value removes it.
    #[arg(long)]
    pub backchannel_logout_uri: Option<String>,
    #[arg(long, action = ArgAction::Set)]
    pub backchannel_logout_session_required: Option<bool>,
    /// Replaces the scopes the client may be granted; repeat for several.
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Let the client ask for tokens for this API with `resource`, within
    /// the scopes after it (URI:scope,scope; all of the API's without);
    /// repeat for several.
    #[arg(long = "allow-api")]
    pub allow_apis: Vec<String>,
    /// Let the client exchange tokens it receives for tokens to this API
    /// (RFC 8693); repeat for several.
    #[arg(long = "exchange-to")]
    pub exchange_to: Vec<String>,
    /// Take away everything the client may do with this API; repeat for several.
    #[arg(long = "remove-api")]
    pub remove_apis: Vec<String>,
}

/// What `client update` says about APIs, in the order given.
fn allowance_changes(args: &UpdateClient) -> Vec<AllowanceChange> {
    let mut changes: Vec<AllowanceChange> = args
        .remove_apis
        .iter()
        .map(|api| AllowanceChange::Remove { api: api.clone() })
        .collect();
    changes.extend(
        args.allow_apis
            .iter()
            .map(|api| AllowanceChange::Direct { api: api.clone() }),
    );
    changes.extend(
        args.exchange_to
            .iter()
            .map(|api| AllowanceChange::Exchange { api: api.clone() }),
    );
    changes
}

async fn allowances_json(
    store: &crate::store::Store,
    client: &Client,
) -> anyhow::Result<serde_json::Value> {
    let list = store.allowances_of(&client.id).await?;
    Ok(json!(
        list.iter()
            .map(|(api, a)| json!({
                "api": api.as_str(),
                "tokens": a.direct,
                "exchange": a.exchange,
                "scopes": a.scopes.as_ref().map(|s| s.to_string()),
            }))
            .collect::<Vec<_>>()
    ))
}

fn uris(list: &[crate::domain::RedirectUri]) -> Vec<&str> {
    list.iter().map(|u| u.as_str()).collect()
}

fn client_json(client: &Client) -> serde_json::Value {
    json!({
        "client_id": client.id.as_str(),
        "name": client.name,
        "public": client.is_public(),
        "token_endpoint_auth_method": client.auth_method().as_str(),
        "redirect_uris": uris(&client.redirect_uris),
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "scope": client.allowed_scopes().to_string(),
        "first_party": client.first_party,
        "id_token_signed_response_alg": client.id_token_alg.as_str(),
        "access_token_signed_response_alg": client.access_token_alg.as_str(),
        "post_logout_redirect_uris": uris(&client.logout.post_logout_redirect_uris),
        "backchannel_logout_uri": client.logout.backchannel_logout_uri.as_ref().map(|u| u.as_str()),
        "backchannel_logout_session_required": client.logout.backchannel_logout_session_required,
        "created_at": client.created_at,
    })
}

fn delivery_json(status: &DeliveryStatus) -> serde_json::Value {
    json!({
        "pending": status.pending,
        "delivered": status.delivered,
        "abandoned": status.abandoned,
        "last_attempt_at": status.last_attempt_at,
        "last_outcome": status.last_outcome,
    })
}

/// `Some(list)` when a repeatable option was given at all.
fn given<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}

pub async fn run(
    services: &Services,
    policy: RedirectUriPolicy,
    command: ClientCommand,
    json: bool,
    now: i64,
) -> anyhow::Result<()> {
    let store = &services.store;
    match command {
        ClientCommand::Create(args) => {
            let new = NewClient {
                id: args.id,
                name: args.name,
                public: args.public,
                auth_method: args.auth_method,
                redirect_uris: args.redirect_uris,
                grant_types: args.grants,
                first_party: args.first_party,
                id_token_alg: args.id_token_alg,
                access_token_alg: args.access_token_alg,
                post_logout_redirect_uris: args.post_logout_redirect_uris,
                backchannel_logout_uri: args.backchannel_logout_uri,
                backchannel_logout_session_required: args.backchannel_logout_session_required,
                scopes: args.scopes,
            };
            let CreatedClient { client, secret } = admin::clients::create_client(
                store,
                &services.pepper,
                policy,
                new,
                &Actor::Cli,
                now,
            )
            .await?;
            let mut value = client_json(&client);
            let mut text = format!("Created client {} ({})", client.name, client.id);
            if let Some(secret) = &secret {
                value["client_secret"] = json!(secret.expose());
                text.push_str(&format!(
                    "\nClient secret (shown once): {}",
                    secret.expose()
                ));
            }
            output(json, value, text);
        }
        ClientCommand::Update(args) => {
            let changes = allowance_changes(&args);
            let mut grants = given(args.grants.clone());
            if !args.exchange_to.is_empty() {
                // Exchanging needs the grant: add it to what the client has.
                let current = admin::clients::find(store, &args.client_id).await?;
                let mut list = grants.unwrap_or_else(|| current.grant_types.clone());
                if !list.contains(&GrantType::TokenExchange) {
                    list.push(GrantType::TokenExchange);
                }
                grants = Some(list);
            }
            let update = ClientUpdate {
                name: args.name,
                redirect_uris: given(args.redirect_uris),
                grant_types: grants,
                first_party: args.first_party,
                id_token_alg: args.id_token_alg,
                access_token_alg: args.access_token_alg,
                post_logout_redirect_uris: if args.no_post_logout_redirect_uris {
                    Some(Vec::new())
                } else {
                    given(args.post_logout_redirect_uris)
                },
                backchannel_logout_uri: args.backchannel_logout_uri,
                backchannel_logout_session_required: args.backchannel_logout_session_required,
                scopes: given(args.scopes),
            };
            let mut client = admin::clients::find(store, &args.client_id).await?;
            let mut secret = None;
            // Becoming confidential first (so confidential-only grants may
            // follow), becoming public last (after they are gone).
            let method = args.auth_method;
            if let Some(method) = method.filter(|m| *m != AuthMethod::None) {
                (client, secret) = admin::clients::change_auth_method(
                    store,
                    &services.pepper,
                    &args.client_id,
                    method,
                    &Actor::Cli,
                    now,
                )
                .await?;
            }
            if !update.is_empty() {
                client = admin::clients::update_client(
                    store,
                    policy,
                    &args.client_id,
                    update,
                    &Actor::Cli,
                    now,
                )
                .await?;
            }
            if method == Some(AuthMethod::None) {
                (client, _) = admin::clients::change_auth_method(
                    store,
                    &services.pepper,
                    &args.client_id,
                    AuthMethod::None,
                    &Actor::Cli,
                    now,
                )
                .await?;
            }
            for change in changes {
                admin::apis::change_allowance(store, client.id.as_str(), change, &Actor::Cli, now)
                    .await?;
            }
            let mut value = client_json(&client);
            value["apis"] = allowances_json(store, &client).await?;
            let mut text = format!("Updated client {} ({})", client.name, client.id);
            if let Some(secret) = &secret {
                value["client_secret"] = json!(secret.expose());
                text.push_str(&format!("\nIts secret (shown once): {}", secret.expose()));
            }
            output(json, value, text);
        }
        ClientCommand::Show { client_id } => {
            let (client, status) = admin::clients::show_client(store, &client_id).await?;
            let mut value = client_json(&client);
            value["backchannel_delivery"] = delivery_json(&status);
            value["apis"] = allowances_json(store, &client).await?;
            let list = |items: Vec<&str>| {
                if items.is_empty() {
                    "none".to_string()
                } else {
                    items.join(" ")
                }
            };
            let allowances = store.allowances_of(&client.id).await?;
            let apis: Vec<String> = allowances
                .iter()
                .map(|(api, a)| {
                    let rights = match (a.direct, a.exchange) {
                        (true, true) => "tokens, exchange",
                        (true, false) => "tokens",
                        _ => "exchange",
                    };
                    match &a.scopes {
                        Some(scopes) => format!("{api} ({rights}; {scopes})"),
                        None => format!("{api} ({rights})"),
                    }
                })
                .collect();
            let text = format!(
                "{} ({})\n  kind: {}, authenticates with {}\n  grants: {}\n  scopes: {}\n  \
                 redirect URIs: {}\n  post-logout redirect URIs: {}\n  \
                 ID tokens: {}, access tokens: {}{}\n  APIs: {}\n  \
                 back-channel logout: {}\n  deliveries: {} pending, {} delivered, {} abandoned; last: {}\n  \
                 registered {}",
                client.name,
                client.id,
                if client.is_public() {
                    "public"
                } else {
                    "confidential"
                },
                client.auth_method().as_str(),
                list(client.grant_types.iter().map(|g| g.as_str()).collect()),
                client.allowed_scopes(),
                list(client.redirect_uris.iter().map(|u| u.as_str()).collect()),
                list(
                    client
                        .logout
                        .post_logout_redirect_uris
                        .iter()
                        .map(|u| u.as_str())
                        .collect()
                ),
                client.id_token_alg.as_str(),
                client.access_token_alg.as_str(),
                if client.first_party {
                    ", first-party (no consent page)"
                } else {
                    ""
                },
                if apis.is_empty() {
                    "none".to_string()
                } else {
                    apis.join(", ")
                },
                client
                    .logout
                    .backchannel_logout_uri
                    .as_ref()
                    .map_or("-", |u| u.as_str()),
                status.pending,
                status.delivered,
                status.abandoned,
                status.last_outcome.as_deref().unwrap_or("none yet"),
                crate::http::format::format_time(client.created_at),
            );
            output(json, value, text);
        }
        ClientCommand::List => {
            let clients = admin::clients::list_clients(store).await?;
            let text: Vec<String> = clients
                .iter()
                .map(|c| {
                    let kind = if c.is_public() {
                        "public"
                    } else {
                        "confidential"
                    };
                    let uris: Vec<&str> = c.redirect_uris.iter().map(|u| u.as_str()).collect();
                    format!("{}  {}  {}  {}", c.id, c.name, kind, uris.join(" "))
                })
                .collect();
            output(
                json,
                json!(clients.iter().map(client_json).collect::<Vec<_>>()),
                text.join("\n"),
            );
        }
        ClientCommand::RotateSecret { client_id } => {
            let (client, secret) = admin::clients::rotate_secret(
                store,
                &services.pepper,
                &client_id,
                &Actor::Cli,
                now,
            )
            .await?;
            let mut value = client_json(&client);
            value["client_secret"] = json!(secret.expose());
            output(
                json,
                value,
                format!(
                    "New secret of {} (shown once): {}",
                    client.id,
                    secret.expose()
                ),
            );
        }
        ClientCommand::Delete { client_id, confirm } => {
            if confirm.trim() != client_id {
                anyhow::bail!("to delete {client_id}, repeat the client_id with --confirm");
            }
            admin::clients::delete_client(store, &client_id, &Actor::Cli, now).await?;
            output(
                json,
                json!({ "client_id": client_id, "deleted": true }),
                format!("Deleted client {client_id}."),
            );
        }
    }
    Ok(())
}
