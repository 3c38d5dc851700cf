use std::str::FromStr;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryOrder};

use super::entities::clients;
use super::{Store, StoreError, from_json, to_json};
use crate::domain::{
    AuthMethod, Client, ClientId, ClientSecretHash, ClientSpec, GrantType, RedirectUri, SigningAlg,
};

fn corrupt(column: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("clients.{column}: {err}"))
}

impl TryFrom<clients::Model> for Client {
    type Error = StoreError;

    fn try_from(row: clients::Model) -> Result<Self, Self::Error> {
        let redirect_uris: Vec<String> = from_json("clients.redirect_uris", &row.redirect_uris)?;
        let grant_types: Vec<String> = from_json("clients.grant_types", &row.grant_types)?;
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
            created_at: row.created_at,
        })
        .map_err(|e| corrupt("row", e))
    }
}

impl Store {
    /// Fails with `Conflict` when the client id is taken.
    pub async fn insert_client(&self, client: &Client) -> Result<(), StoreError> {
        let redirect_uris: Vec<&str> = client
            .redirect_uris
            .iter()
            .map(RedirectUri::as_str)
            .collect();
        let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        clients::ActiveModel {
            id: Set(client.id.as_str().to_string()),
            name: Set(client.name.clone()),
            secret_hash: Set(client.secret_hash().map(|h| h.as_str().to_string())),
            auth_method: Set(client.auth_method().as_str().to_string()),
            redirect_uris: Set(to_json(&redirect_uris)?),
            grant_types: Set(to_json(&grant_types)?),
            first_party: Set(client.first_party),
            id_token_alg: Set(client.id_token_alg.as_str().to_string()),
            created_at: Set(client.created_at),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// Looks up a client by the raw `client_id` a request carried.
    pub async fn client_by_id(&self, id: &str) -> Result<Option<Client>, StoreError> {
        clients::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(Client::try_from)
            .transpose()
    }

    pub async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        clients::Entity::find()
            .order_by_asc(clients::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Client::try_from)
            .collect()
    }

    /// Deletes the client with its consents, grants and refresh tokens.
    pub async fn delete_client(&self, id: &ClientId) -> Result<(), StoreError> {
        let result = clients::Entity::delete_by_id(id.as_str())
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
