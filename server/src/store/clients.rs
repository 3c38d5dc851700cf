use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{clients, grants};
use super::revocations::Mark;
use super::{Store, StoreError, Unit, from_json, to_json};
use crate::domain::{
    AuthMethod, Client, ClientId, ClientSecretHash, ClientSpec, GrantType, LogoutRegistration,
    RedirectUri, Scopes, SigningAlg,
};

/// Clients by id are remembered this long (seconds of the injected clock):
/// authenticating a client at `/token` or `/introspect` then costs no query,
/// and a change made on another replica is seen within a second (at once on
/// this one).
const CLIENT_TTL: i64 = 1;
/// At most this many clients are remembered.
pub(super) const CACHED_CLIENTS: usize = 10_000;

fn corrupt(column: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("clients.{column}: {err}"))
}

impl TryFrom<clients::Model> for Client {
    type Error = StoreError;

    fn try_from(row: clients::Model) -> Result<Self, Self::Error> {
        let redirect_uris: Vec<String> = from_json("clients.redirect_uris", &row.redirect_uris)?;
        let grant_types: Vec<String> = from_json("clients.grant_types", &row.grant_types)?;
        let post_logout: Vec<String> = from_json(
            "clients.post_logout_redirect_uris",
            &row.post_logout_redirect_uris,
        )?;
        let scopes = match &row.scopes {
            Some(json) => {
                let list: Vec<String> = from_json("clients.scopes", json)?;
                Some(Scopes::from_tokens(list.iter().map(String::as_str)))
            }
            None => None,
        };
        Client::new(ClientSpec {
            id: ClientId::parse(&row.id).map_err(|e| corrupt("id", e))?,
            name: row.name,
            secret_hash: row.secret_hash.map(ClientSecretHash::from_trusted),
            auth_method: AuthMethod::from_str(&row.auth_method)
                .map_err(|e| corrupt("auth_method", e))?,
            redirect_uris: redirect_uris
                .into_iter()
                .map(RedirectUri::from_trusted)
                .collect(),
            grant_types: grant_types
                .iter()
                .map(|g| GrantType::from_str(g))
                .collect::<Result<_, _>>()
                .map_err(|e| corrupt("grant_types", e))?,
            first_party: row.first_party,
            id_token_alg: SigningAlg::from_str(&row.id_token_alg)
                .map_err(|e| corrupt("id_token_alg", e))?,
            access_token_alg: SigningAlg::from_str(&row.access_token_alg)
                .map_err(|e| corrupt("access_token_alg", e))?,
            created_at: row.created_at,
            logout: LogoutRegistration {
                post_logout_redirect_uris: post_logout
                    .into_iter()
                    .map(RedirectUri::from_trusted)
                    .collect(),
                backchannel_logout_uri: row.backchannel_logout_uri.map(RedirectUri::from_trusted),
                backchannel_logout_session_required: row.backchannel_logout_session_required,
            },
            scopes,
            tokens_valid_after: row.tokens_valid_after,
        })
        .map_err(|e| corrupt("row", e))
    }
}

fn active_model(client: &Client) -> Result<clients::ActiveModel, StoreError> {
    let uris = |list: &[RedirectUri]| -> Result<String, StoreError> {
        to_json(&list.iter().map(RedirectUri::as_str).collect::<Vec<_>>())
    };
    let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
    let scopes = match &client.scopes {
        Some(scopes) => Some(to_json(&scopes.iter().collect::<Vec<_>>())?),
        None => None,
    };
    Ok(clients::ActiveModel {
        id: Set(client.id.as_str().to_string()),
        name: Set(client.name.clone()),
        secret_hash: Set(client.secret_hash().map(|h| h.as_str().to_string())),
        auth_method: Set(client.auth_method().as_str().to_string()),
        redirect_uris: Set(uris(&client.redirect_uris)?),
        grant_types: Set(to_json(&grant_types)?),
        first_party: Set(client.first_party),
        id_token_alg: Set(client.id_token_alg.as_str().to_string()),
        created_at: Set(client.created_at),
        post_logout_redirect_uris: Set(uris(&client.logout.post_logout_redirect_uris)?),
        backchannel_logout_uri: Set(client
            .logout
            .backchannel_logout_uri
            .as_ref()
            .map(|u| u.as_str().to_string())),
        backchannel_logout_session_required: Set(client.logout.backchannel_logout_session_required),
        access_token_alg: Set(client.access_token_alg.as_str().to_string()),
        scopes: Set(scopes),
        tokens_valid_after: Set(client.tokens_valid_after),
    })
}

impl Unit<'_> {
    /// Fails with `Conflict` when the client id is taken.
    pub async fn insert_client(&mut self, client: &Client) -> Result<(), StoreError> {
        active_model(client)?.insert(&self.txn).await?;
        self.forget_client(&client.id);
        Ok(())
    }

    /// Replace a client's registration (its id and creation time stay).
    pub async fn update_client(&mut self, client: &Client) -> Result<(), StoreError> {
        let result = clients::Entity::update_many()
            .set(active_model(client)?)
            .filter(clients::Column::Id.eq(client.id.as_str()))
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.forget_client(&client.id);
        Ok(())
    }

    /// Revoke every grant of `client` (its refresh tokens and the access
    /// tokens issued under them); the number revoked.
    pub async fn revoke_client_grants(
        &mut self,
        client: &ClientId,
        now: i64,
    ) -> Result<usize, StoreError> {
        let ids: Vec<String> = grants::Entity::find()
            .select_only()
            .column(grants::Column::Id)
            .filter(grants::Column::ClientId.eq(client.as_str()))
            .filter(grants::Column::RevokedAt.is_null())
            .into_tuple()
            .all(&self.txn)
            .await?;
        for chunk in ids.chunks(500) {
            grants::Entity::update_many()
                .set(grants::ActiveModel {
                    revoked_at: Set(Some(now)),
                    ..Default::default()
                })
                .filter(grants::Column::Id.is_in(chunk.to_vec()))
                .exec(&self.txn)
                .await?;
        }
        let until = self.store.grant_mark_expiry(now);
        self.revoked(ids.iter().map(|g| Mark::grant(g, until)).collect())
            .await?;
        Ok(ids.len())
    }

    /// A new secret: its hash, and the access tokens issued before
    /// `tokens_valid_after` no longer count.
    pub async fn rotate_client_secret(
        &mut self,
        id: &ClientId,
        hash: &ClientSecretHash,
        tokens_valid_after: i64,
    ) -> Result<(), StoreError> {
        let result = clients::Entity::update_many()
            .set(clients::ActiveModel {
                secret_hash: Set(Some(hash.as_str().to_string())),
                tokens_valid_after: Set(tokens_valid_after),
                ..Default::default()
            })
            .filter(clients::Column::Id.eq(id.as_str()))
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.forget_client(id);
        Ok(())
    }

    /// Delete the client with its consents, grants and refresh tokens; the
    /// access tokens of its grants are marked revoked.
    pub async fn delete_client(&mut self, id: &ClientId, now: i64) -> Result<(), StoreError> {
        let grant_ids: Vec<String> = grants::Entity::find()
            .select_only()
            .column(grants::Column::Id)
            .filter(grants::Column::ClientId.eq(id.as_str()))
            .into_tuple()
            .all(&self.txn)
            .await?;
        let result = clients::Entity::delete_by_id(id.as_str())
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.forget_client(id);
        let until = self.store.grant_mark_expiry(now);
        self.revoked(grant_ids.iter().map(|g| Mark::grant(g, until)).collect())
            .await
    }
}

impl Store {
    /// Replace a legacy secret hash by its current form, unless the secret
    /// changed meanwhile (a rotation wins over an upgrade).
    pub async fn upgrade_client_secret_hash(
        &self,
        id: &ClientId,
        old: &ClientSecretHash,
        new: &ClientSecretHash,
    ) -> Result<(), StoreError> {
        let _writer = self.writing().await?;
        clients::Entity::update_many()
            .set(clients::ActiveModel {
                secret_hash: Set(Some(new.as_str().to_string())),
                ..Default::default()
            })
            .filter(clients::Column::Id.eq(id.as_str()))
            .filter(clients::Column::SecretHash.eq(old.as_str()))
            .exec(&self.db)
            .await?;
        self.local.clients.remove(&id.to_string());
        Ok(())
    }

    /// Looks up a client by the `client_id` a request carried. A value that
    /// cannot be a client id (a NUL byte, say) finds nothing without a query.
    pub async fn client_by_id(&self, id: &str) -> Result<Option<Client>, StoreError> {
        let Ok(id) = ClientId::parse(id) else {
            return Ok(None);
        };
        let now = self.clock.now();
        self.notice_other_writers();
        if let Some(known) = self.local.clients.get(&id.to_string(), now) {
            return Ok(known);
        }
        let client = clients::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await?
            .map(Client::try_from)
            .transpose()?;
        self.local
            .clients
            .insert(id.to_string(), client.clone(), now + CLIENT_TTL, now);
        Ok(client)
    }

    pub async fn count_clients(&self) -> Result<u64, StoreError> {
        Ok(clients::Entity::find().count(&self.db).await?)
    }

    /// Every client, by name. A row that cannot be read is left out (and
    /// logged) rather than taking the whole list down.
    pub async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        Ok(clients::Entity::find()
            .order_by_asc(clients::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|row| {
                let id = row.id.clone();
                Client::try_from(row)
                    .map_err(|err| tracing::error!(client_id = %id, error = %err, "a stored client cannot be read"))
                    .ok()
            })
            .collect())
    }
}
