//! API resources, their roles, who holds those roles, which clients may get
//! or exchange tokens for each API, and who acts as it. What a client may do
//! with an API is remembered for a second (by the injected clock) and
//! forgotten here at once when this process changes it.

use std::str::FromStr;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{
    api_introspectors, api_roles, apis, client_apis, groups, role_groups, role_users, user_groups,
    users,
};
use super::{Store, StoreError, Unit};
use crate::domain::{
    Api, ApiAllowance, ApiIdentifier, ClientId, Entitlements, Resource, Role, RoleName, Scopes,
    SigningAlg, TokenFormat, UserId,
};

/// How long (seconds) a client's view of an API is remembered.
const RESOURCE_TTL: i64 = 1;
/// At most this many (client, API) pairs are remembered.
pub(super) const CACHED_RESOURCES: usize = 10_000;

fn corrupt(column: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {err}"))
}

fn scopes(column: &str, value: &str) -> Result<Scopes, StoreError> {
    Scopes::parse(value).map_err(|e| corrupt(column, e))
}

fn api(row: apis::Model, introspectors: Vec<ClientId>) -> Result<Api, StoreError> {
    Ok(Api {
        scopes: scopes("apis.scopes", &row.scopes)?,
        token_format: TokenFormat::from_str(&row.token_format)
            .map_err(|e| corrupt("apis.token_format", e))?,
        access_token_alg: SigningAlg::from_str(&row.access_token_alg)
            .map_err(|e| corrupt("apis.access_token_alg", e))?,
        id: row.id,
        identifier: ApiIdentifier::from_trusted(row.identifier),
        name: row.name,
        lifetime: row.lifetime,
        created_at: row.created_at,
        updated_at: row.updated_at,
        introspectors,
    })
}

fn role(row: api_roles::Model) -> Result<Role, StoreError> {
    Ok(Role {
        permissions: scopes("api_roles.permissions", &row.permissions)?,
        id: row.id,
        api_id: row.api_id,
        name: RoleName::from_trusted(row.name),
        created_at: row.created_at,
    })
}

fn allowance(row: &client_apis::Model) -> Result<ApiAllowance, StoreError> {
    Ok(ApiAllowance {
        scopes: row
            .scopes
            .as_deref()
            .map(|s| scopes("client_apis.scopes", s))
            .transpose()?,
        direct: row.direct,
        exchange: row.exchange,
    })
}

impl Store {
    async fn introspectors_of(&self, api_id: &str) -> Result<Vec<ClientId>, StoreError> {
        let ids: Vec<String> = api_introspectors::Entity::find()
            .select_only()
            .column(api_introspectors::Column::ClientId)
            .filter(api_introspectors::Column::ApiId.eq(api_id))
            .order_by_asc(api_introspectors::Column::ClientId)
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.iter()
            .map(|id| ClientId::parse(id).map_err(|e| corrupt("api_introspectors.client_id", e)))
            .collect()
    }

    async fn api_of(&self, row: Option<apis::Model>) -> Result<Option<Api>, StoreError> {
        match row {
            None => Ok(None),
            Some(row) => {
                let introspectors = self.introspectors_of(&row.id).await?;
                Ok(Some(api(row, introspectors)?))
            }
        }
    }

    /// Every API, by identifier.
    pub async fn list_apis(&self) -> Result<Vec<Api>, StoreError> {
        let rows = apis::Entity::find()
            .order_by_asc(apis::Column::Identifier)
            .all(&self.db)
            .await?;
        let mut list = Vec::with_capacity(rows.len());
        for row in rows {
            let introspectors = self.introspectors_of(&row.id).await?;
            list.push(api(row, introspectors)?);
        }
        Ok(list)
    }

    pub async fn api_by_identifier(
        &self,
        identifier: &ApiIdentifier,
    ) -> Result<Option<Api>, StoreError> {
        let row = apis::Entity::find()
            .filter(apis::Column::Identifier.eq(identifier.as_str()))
            .one(&self.db)
            .await?;
        self.api_of(row).await
    }

    pub async fn api_by_id(&self, id: &str) -> Result<Option<Api>, StoreError> {
        let row = apis::Entity::find_by_id(id).one(&self.db).await?;
        self.api_of(row).await
    }

    /// The API named `identifier` (any string a request carried) as `client`
    /// sees it: `None` when no such API is registered.
    pub async fn resource_for(
        &self,
        client: &ClientId,
        identifier: &str,
    ) -> Result<Option<Resource>, StoreError> {
        let key = format!("{client}\0{identifier}");
        let now = self.clock.now();
        self.notice_other_writers();
        if let Some(known) = self.local.resources.get(&key, now) {
            return Ok(known);
        }
        let row = apis::Entity::find()
            .filter(apis::Column::Identifier.eq(identifier))
            .one(&self.db)
            .await?;
        let resource = match self.api_of(row).await? {
            None => None,
            Some(api) => {
                let allowance =
                    client_apis::Entity::find_by_id((client.as_str().to_string(), api.id.clone()))
                        .one(&self.db)
                        .await?
                        .as_ref()
                        .map(allowance)
                        .transpose()?;
                Some(Resource { api, allowance })
            }
        };
        self.local
            .resources
            .insert(key, resource.clone(), now + RESOURCE_TTL, now);
        Ok(resource)
    }

    /// The APIs `client` is allowed, with what it may do with each.
    pub async fn allowances_of(
        &self,
        client: &ClientId,
    ) -> Result<Vec<(ApiIdentifier, ApiAllowance)>, StoreError> {
        let rows = client_apis::Entity::find()
            .filter(client_apis::Column::ClientId.eq(client.as_str()))
            .all(&self.db)
            .await?;
        let mut list = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(api) = apis::Entity::find_by_id(row.api_id.as_str())
                .one(&self.db)
                .await?
            {
                list.push((
                    ApiIdentifier::from_trusted(api.identifier),
                    allowance(&row)?,
                ));
            }
        }
        list.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(list)
    }

    /// An API's roles, by name.
    pub async fn roles_of_api(&self, api_id: &str) -> Result<Vec<Role>, StoreError> {
        api_roles::Entity::find()
            .filter(api_roles::Column::ApiId.eq(api_id))
            .order_by_asc(api_roles::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(role)
            .collect()
    }

    pub async fn role_by_name(
        &self,
        api_id: &str,
        name: &RoleName,
    ) -> Result<Option<Role>, StoreError> {
        api_roles::Entity::find()
            .filter(api_roles::Column::ApiId.eq(api_id))
            .filter(api_roles::Column::Name.eq(name.as_str()))
            .one(&self.db)
            .await?
            .map(role)
            .transpose()
    }

    /// Who holds a role: the users given it directly (id and username)
    /// and the groups (names), each sorted.
    pub async fn role_holders(
        &self,
        role_id: &str,
    ) -> Result<(Vec<(UserId, String)>, Vec<String>), StoreError> {
        let user_ids: Vec<String> = role_users::Entity::find()
            .select_only()
            .column(role_users::Column::UserId)
            .filter(role_users::Column::RoleId.eq(role_id))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut users: Vec<(UserId, String)> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .column(users::Column::Username)
            .filter(users::Column::Id.is_in(user_ids))
            .into_tuple::<(String, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|(id, name)| (UserId::from_trusted(id), name))
            .collect();
        users.sort_by(|a, b| a.1.cmp(&b.1));
        let group_ids: Vec<String> = role_groups::Entity::find()
            .select_only()
            .column(role_groups::Column::GroupId)
            .filter(role_groups::Column::RoleId.eq(role_id))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut groups: Vec<String> = groups::Entity::find()
            .select_only()
            .column(groups::Column::Name)
            .filter(groups::Column::Id.is_in(group_ids))
            .into_tuple()
            .all(&self.db)
            .await?;
        groups.sort();
        Ok((users, groups))
    }

    /// The roles `user` holds at the API `api_id`, directly or through a
    /// group, as they are now (one query).
    pub async fn entitlements(
        &self,
        user: &UserId,
        api_id: &str,
    ) -> Result<Entitlements, StoreError> {
        let direct = Query::select()
            .column(role_users::Column::RoleId)
            .from(role_users::Entity)
            .and_where(role_users::Column::UserId.eq(user.as_str()))
            .to_owned();
        let through_groups = Query::select()
            .column(role_groups::Column::RoleId)
            .from(role_groups::Entity)
            .inner_join(
                user_groups::Entity,
                Expr::col((role_groups::Entity, role_groups::Column::GroupId))
                    .equals((user_groups::Entity, user_groups::Column::GroupId)),
            )
            .and_where(
                Expr::col((user_groups::Entity, user_groups::Column::UserId)).eq(user.as_str()),
            )
            .to_owned();
        let roles = api_roles::Entity::find()
            .filter(api_roles::Column::ApiId.eq(api_id))
            .filter(
                Condition::any()
                    .add(api_roles::Column::Id.in_subquery(direct))
                    .add(api_roles::Column::Id.in_subquery(through_groups)),
            )
            .all(&self.db)
            .await?
            .into_iter()
            .map(role)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Entitlements::of(&roles))
    }

    /// The roles a user holds directly, with their APIs' identifiers.
    pub async fn roles_of_user(
        &self,
        user: &UserId,
    ) -> Result<Vec<(ApiIdentifier, Role)>, StoreError> {
        let ids: Vec<String> = role_users::Entity::find()
            .select_only()
            .column(role_users::Column::RoleId)
            .filter(role_users::Column::UserId.eq(user.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut list = Vec::new();
        for row in api_roles::Entity::find()
            .filter(api_roles::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
        {
            if let Some(api) = apis::Entity::find_by_id(row.api_id.as_str())
                .one(&self.db)
                .await?
            {
                list.push((ApiIdentifier::from_trusted(api.identifier), role(row)?));
            }
        }
        list.sort_by(|a, b| (&a.0, &a.1.name).cmp(&(&b.0, &b.1.name)));
        Ok(list)
    }
}

impl Unit<'_> {
    fn resources_changed(&mut self) {
        self.changed_resources = true;
    }

    /// Fails with `Conflict` when the identifier is taken.
    pub async fn insert_api(&mut self, api: &Api) -> Result<(), StoreError> {
        apis::ActiveModel {
            id: Set(api.id.clone()),
            identifier: Set(api.identifier.as_str().to_string()),
            name: Set(api.name.clone()),
            scopes: Set(api.scopes.to_string()),
            token_format: Set(api.token_format.as_str().to_string()),
            access_token_alg: Set(api.access_token_alg.as_str().to_string()),
            lifetime: Set(api.lifetime),
            created_at: Set(api.created_at),
            updated_at: Set(api.updated_at),
        }
        .insert(&self.txn)
        .await?;
        self.set_introspectors(api).await?;
        self.resources_changed();
        Ok(())
    }

    /// Write every field of `api` (found by its id), introspectors included.
    pub async fn update_api(&mut self, api: &Api) -> Result<(), StoreError> {
        let result = apis::Entity::update_many()
            .set(apis::ActiveModel {
                name: Set(api.name.clone()),
                scopes: Set(api.scopes.to_string()),
                token_format: Set(api.token_format.as_str().to_string()),
                access_token_alg: Set(api.access_token_alg.as_str().to_string()),
                lifetime: Set(api.lifetime),
                updated_at: Set(api.updated_at),
                ..Default::default()
            })
            .filter(apis::Column::Id.eq(api.id.as_str()))
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.set_introspectors(api).await?;
        self.resources_changed();
        Ok(())
    }

    async fn set_introspectors(&mut self, api: &Api) -> Result<(), StoreError> {
        api_introspectors::Entity::delete_many()
            .filter(api_introspectors::Column::ApiId.eq(api.id.as_str()))
            .exec(&self.txn)
            .await?;
        if api.introspectors.is_empty() {
            return Ok(());
        }
        let rows = api
            .introspectors
            .iter()
            .map(|client| api_introspectors::ActiveModel {
                api_id: Set(api.id.clone()),
                client_id: Set(client.as_str().to_string()),
            });
        api_introspectors::Entity::insert_many(rows)
            .exec(&self.txn)
            .await?;
        Ok(())
    }

    /// Delete an API: its roles, allowances and opaque tokens go with it.
    pub async fn delete_api(&mut self, id: &str) -> Result<(), StoreError> {
        let result = apis::Entity::delete_by_id(id).exec(&self.txn).await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.resources_changed();
        Ok(())
    }

    /// Fails with `Conflict` when the API has a role of that name.
    pub async fn insert_role(&mut self, role: &Role) -> Result<(), StoreError> {
        api_roles::ActiveModel {
            id: Set(role.id.clone()),
            api_id: Set(role.api_id.clone()),
            name: Set(role.name.as_str().to_string()),
            permissions: Set(role.permissions.to_string()),
            created_at: Set(role.created_at),
        }
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    pub async fn set_role_permissions(
        &mut self,
        role_id: &str,
        permissions: &Scopes,
    ) -> Result<(), StoreError> {
        let result = api_roles::Entity::update_many()
            .set(api_roles::ActiveModel {
                permissions: Set(permissions.to_string()),
                ..Default::default()
            })
            .filter(api_roles::Column::Id.eq(role_id))
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_role(&mut self, role_id: &str) -> Result<(), StoreError> {
        let result = api_roles::Entity::delete_by_id(role_id)
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Give a role to a user; `false` when they already hold it directly.
    pub async fn grant_role_to_user(
        &mut self,
        role_id: &str,
        user: &UserId,
    ) -> Result<bool, StoreError> {
        let result = role_users::Entity::insert(role_users::ActiveModel {
            role_id: Set(role_id.to_string()),
            user_id: Set(user.as_str().to_string()),
        })
        .on_conflict(
            OnConflict::columns([role_users::Column::RoleId, role_users::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.txn)
        .await?;
        Ok(result > 0)
    }

    pub async fn take_role_from_user(
        &mut self,
        role_id: &str,
        user: &UserId,
    ) -> Result<bool, StoreError> {
        let result =
            role_users::Entity::delete_by_id((role_id.to_string(), user.as_str().to_string()))
                .exec(&self.txn)
                .await?;
        Ok(result.rows_affected > 0)
    }

    /// Give a role to every member of a group; `false` when it already has it.
    pub async fn grant_role_to_group(
        &mut self,
        role_id: &str,
        group_id: &str,
    ) -> Result<bool, StoreError> {
        let result = role_groups::Entity::insert(role_groups::ActiveModel {
            role_id: Set(role_id.to_string()),
            group_id: Set(group_id.to_string()),
        })
        .on_conflict(
            OnConflict::columns([role_groups::Column::RoleId, role_groups::Column::GroupId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.txn)
        .await?;
        Ok(result > 0)
    }

    pub async fn take_role_from_group(
        &mut self,
        role_id: &str,
        group_id: &str,
    ) -> Result<bool, StoreError> {
        let result = role_groups::Entity::delete_by_id((role_id.to_string(), group_id.to_string()))
            .exec(&self.txn)
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Set (or with `None`, remove) what `client` may do with the API `api_id`.
    pub async fn set_allowance(
        &mut self,
        client: &ClientId,
        api_id: &str,
        allowance: Option<&ApiAllowance>,
    ) -> Result<(), StoreError> {
        client_apis::Entity::delete_by_id((client.as_str().to_string(), api_id.to_string()))
            .exec(&self.txn)
            .await?;
        if let Some(allowance) = allowance.filter(|a| a.direct || a.exchange) {
            client_apis::ActiveModel {
                client_id: Set(client.as_str().to_string()),
                api_id: Set(api_id.to_string()),
                scopes: Set(allowance.scopes.as_ref().map(Scopes::to_string)),
                direct: Set(allowance.direct),
                exchange: Set(allowance.exchange),
            }
            .insert(&self.txn)
            .await?;
        }
        self.resources_changed();
        Ok(())
    }
}
