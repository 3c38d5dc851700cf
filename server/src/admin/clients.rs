use super::AdminError;
use crate::domain::crypto::{Pepper, random_token};
use crate::domain::{
    AuthMethod, Client, ClientId, ClientSecretHash, ClientSpec, GrantType, RedirectUri,
    RedirectUriPolicy, Secret, SigningAlg,
};
use crate::store::Store;

#[derive(Debug)]
pub struct NewClient {
    /// Generated when absent.
    pub id: Option<String>,
    pub name: String,
    /// Public clients (browser and native apps) have no secret and use PKCE.
    pub public: bool,
    /// For confidential clients; `client_secret_basic` when absent.
    pub auth_method: Option<AuthMethod>,
    pub redirect_uris: Vec<String>,
    /// `authorization_code` and `refresh_token` when empty.
    pub grant_types: Vec<GrantType>,
    pub first_party: bool,
    pub id_token_alg: SigningAlg,
}

#[derive(Debug)]
pub struct CreatedClient {
    pub client: Client,
    /// The generated secret of a confidential client: shown once, stored hashed.
    pub secret: Option<Secret>,
}

pub async fn create_client(
    store: &Store,
    pepper: &Pepper,
    policy: RedirectUriPolicy,
    new: NewClient,
    now: i64,
) -> Result<CreatedClient, AdminError> {
    let id = match &new.id {
        Some(id) => ClientId::parse(id)?,
        None => ClientId::generate(),
    };
    let auth_method = match (new.public, new.auth_method) {
        (true, None | Some(AuthMethod::None)) => AuthMethod::None,
        (true, Some(_)) => {
            return Err(AdminError::Invalid(
                crate::domain::DomainError::InvalidClient(
                    "a public client authenticates with none",
                ),
            ));
        }
        (false, None) => AuthMethod::ClientSecretBasic,
        (false, Some(method)) => method,
    };
    // 256 bits of randomness; only the keyed hash is stored.
    let secret = (auth_method != AuthMethod::None).then(|| Secret::new(random_token(32)));
    let redirect_uris = new
        .redirect_uris
        .iter()
        .map(|uri| RedirectUri::parse(uri, policy))
        .collect::<Result<Vec<_>, _>>()?;
    let grant_types = if new.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        new.grant_types
    };
    let client = Client::new(ClientSpec {
        id,
        name: new.name,
        secret_hash: secret
            .as_ref()
            .map(|s| ClientSecretHash::compute(pepper, s)),
        auth_method,
        redirect_uris,
        grant_types,
        first_party: new.first_party,
        id_token_alg: new.id_token_alg,
        created_at: now,
    })?;
    store
        .insert_client(&client)
        .await
        .map_err(|e| AdminError::from_store(e, format!("client {}", client.id)))?;
    Ok(CreatedClient { client, secret })
}

pub async fn list_clients(store: &Store) -> Result<Vec<Client>, AdminError> {
    Ok(store.list_clients().await?)
}

pub async fn delete_client(store: &Store, id: &str) -> Result<(), AdminError> {
    let id = ClientId::parse(id)?;
    store
        .delete_client(&id)
        .await
        .map_err(|e| AdminError::from_store(e, format!("client {id}")))
}
