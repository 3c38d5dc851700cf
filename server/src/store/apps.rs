//! Applications behind gateways, with who may use them.

use std::str::FromStr;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{app_groups, app_users, apps, groups, users};
use super::{GatewayChange, Store, StoreError, Unit};
use crate::domain::{App, AppHost, GroupName, SigningAlg, UserId, Username};

/// Who may use an application, by stored id: the admin layer resolved the
/// names.
#[derive(Clone, Debug, Default)]
pub struct AppRules {
    pub group_ids: Vec<String>,
    pub user_ids: Vec<UserId>,
}

async fn with_rules(conn: &impl ConnectionTrait, row: apps::Model) -> Result<App, StoreError> {
    let group_ids: Vec<String> = app_groups::Entity::find()
        .select_only()
        .column(app_groups::Column::GroupId)
        .filter(app_groups::Column::AppId.eq(row.id.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut allowed_groups: Vec<GroupName> = if group_ids.is_empty() {
        Vec::new()
    } else {
        groups::Entity::find()
            .select_only()
            .column(groups::Column::Name)
            .filter(groups::Column::Id.is_in(group_ids))
            .into_tuple::<String>()
            .all(conn)
            .await?
            .into_iter()
            .map(GroupName::from_trusted)
            .collect()
    };
    allowed_groups.sort();
    let user_ids: Vec<String> = app_users::Entity::find()
        .select_only()
        .column(app_users::Column::UserId)
        .filter(app_users::Column::AppId.eq(row.id.as_str()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut allowed_users: Vec<Username> = if user_ids.is_empty() {
        Vec::new()
    } else {
        users::Entity::find()
            .select_only()
            .column(users::Column::Username)
            .filter(users::Column::Id.is_in(user_ids))
            .into_tuple::<String>()
            .all(conn)
            .await?
            .into_iter()
            .map(Username::from_trusted)
            .collect()
    };
    allowed_users.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    Ok(App {
        token_alg: SigningAlg::from_str(&row.token_alg)
            .map_err(|e| StoreError::Corrupt(format!("apps.token_alg: {e}")))?,
        id: row.id,
        name: row.name,
        host: AppHost::from_trusted(row.host),
        audience: row.audience,
        allowed_groups,
        allowed_users,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn active_model(app: &App) -> apps::ActiveModel {
    apps::ActiveModel {
        id: Set(app.id.clone()),
        name: Set(app.name.clone()),
        host: Set(app.host.as_str().to_string()),
        audience: Set(app.audience.clone()),
        token_alg: Set(app.token_alg.as_str().to_string()),
        created_at: Set(app.created_at),
        updated_at: Set(app.updated_at),
    }
}

impl Store {
    pub async fn app_by_host(&self, host: &AppHost) -> Result<Option<App>, StoreError> {
        match apps::Entity::find()
            .filter(apps::Column::Host.eq(host.as_str()))
            .one(&self.db)
            .await?
        {
            Some(row) => Ok(Some(with_rules(&self.db, row).await?)),
            None => Ok(None),
        }
    }

    pub async fn app_by_id(&self, id: &str) -> Result<Option<App>, StoreError> {
        match apps::Entity::find_by_id(id).one(&self.db).await? {
            Some(row) => Ok(Some(with_rules(&self.db, row).await?)),
            None => Ok(None),
        }
    }

    /// Every application, by host.
    pub async fn list_apps(&self) -> Result<Vec<App>, StoreError> {
        let rows = apps::Entity::find()
            .order_by_asc(apps::Column::Host)
            .all(&self.db)
            .await?;
        let mut list = Vec::with_capacity(rows.len());
        for row in rows {
            list.push(with_rules(&self.db, row).await?);
        }
        Ok(list)
    }
}

impl Unit<'_> {
    /// Fails with `Conflict` when the host is taken.
    pub async fn insert_app(&mut self, app: &App, rules: &AppRules) -> Result<(), StoreError> {
        active_model(app).insert(&self.txn).await?;
        self.write_rules(&app.id, rules).await?;
        self.gateway(GatewayChange::Apps);
        Ok(())
    }

    /// Replace an application's registration and rules.
    pub async fn update_app(&mut self, app: &App, rules: &AppRules) -> Result<(), StoreError> {
        let result = apps::Entity::update_many()
            .set(active_model(app))
            .filter(apps::Column::Id.eq(app.id.as_str()))
            .exec(&self.txn)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        app_groups::Entity::delete_many()
            .filter(app_groups::Column::AppId.eq(app.id.as_str()))
            .exec(&self.txn)
            .await?;
        app_users::Entity::delete_many()
            .filter(app_users::Column::AppId.eq(app.id.as_str()))
            .exec(&self.txn)
            .await?;
        self.write_rules(&app.id, rules).await?;
        self.gateway(GatewayChange::Apps);
        Ok(())
    }

    pub async fn delete_app(&mut self, id: &str) -> Result<(), StoreError> {
        let result = apps::Entity::delete_by_id(id).exec(&self.txn).await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.gateway(GatewayChange::Apps);
        Ok(())
    }

    async fn write_rules(&mut self, app_id: &str, rules: &AppRules) -> Result<(), StoreError> {
        if !rules.group_ids.is_empty() {
            let rows = rules.group_ids.iter().map(|group| app_groups::ActiveModel {
                app_id: Set(app_id.to_string()),
                group_id: Set(group.clone()),
            });
            app_groups::Entity::insert_many(rows)
                .exec_without_returning(&self.txn)
                .await?;
        }
        if !rules.user_ids.is_empty() {
            let rows = rules.user_ids.iter().map(|user| app_users::ActiveModel {
                app_id: Set(app_id.to_string()),
                user_id: Set(user.as_str().to_string()),
            });
            app_users::Entity::insert_many(rows)
                .exec_without_returning(&self.txn)
                .await?;
        }
        Ok(())
    }
}
