//! Groups of users and who belongs to them.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::{groups, user_groups, users};
use super::{GatewayChange, Store, StoreError, Unit};
use crate::domain::{Group, GroupName, UserId, Username};

/// At most this many members are listed on a group's page.
pub const MEMBERS_LISTED: u64 = 1000;

fn group(row: groups::Model, members: u64) -> Group {
    Group {
        id: row.id,
        name: GroupName::from_trusted(row.name),
        created_at: row.created_at,
        members,
    }
}

impl Store {
    /// Every group by name, with how many members each has.
    pub async fn list_groups(&self) -> Result<Vec<Group>, StoreError> {
        let counts: HashMap<String, i64> = user_groups::Entity::find()
            .select_only()
            .column(user_groups::Column::GroupId)
            .column_as(user_groups::Column::UserId.count(), "members")
            .group_by(user_groups::Column::GroupId)
            .into_tuple::<(String, i64)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        Ok(groups::Entity::find()
            .order_by_asc(groups::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| {
                let members = counts.get(&row.id).copied().unwrap_or(0);
                group(row, u64::try_from(members).unwrap_or(0))
            })
            .collect())
    }

    pub async fn group_by_name(&self, name: &GroupName) -> Result<Option<Group>, StoreError> {
        let Some(row) = groups::Entity::find()
            .filter(groups::Column::Name.eq(name.as_str()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let members = user_groups::Entity::find()
            .filter(user_groups::Column::GroupId.eq(row.id.as_str()))
            .count(&self.db)
            .await?;
        Ok(Some(group(row, members)))
    }

    /// The first [`MEMBERS_LISTED`] members of a group, by username.
    pub async fn group_members(
        &self,
        group_id: &str,
    ) -> Result<Vec<(UserId, Username)>, StoreError> {
        let ids: Vec<String> = user_groups::Entity::find()
            .select_only()
            .column(user_groups::Column::UserId)
            .filter(user_groups::Column::GroupId.eq(group_id))
            .into_tuple()
            .all(&self.db)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut members = Vec::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(String, String)> = users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Username)
                .filter(users::Column::Id.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&self.db)
                .await?;
            members.extend(
                rows.into_iter()
                    .map(|(id, name)| (UserId::from_trusted(id), Username::from_trusted(name))),
            );
        }
        members.sort_by(|a, b| a.1.as_str().cmp(b.1.as_str()));
        members.truncate(MEMBERS_LISTED as usize);
        Ok(members)
    }
}

impl Unit<'_> {
    /// Fails with `Conflict` when the name is taken.
    pub async fn insert_group(&mut self, group: &Group) -> Result<(), StoreError> {
        groups::ActiveModel {
            id: Set(group.id.clone()),
            name: Set(group.name.as_str().to_string()),
            created_at: Set(group.created_at),
        }
        .insert(&self.txn)
        .await?;
        Ok(())
    }

    /// Delete a group; its memberships and the applications' rules naming
    /// it go with it.
    pub async fn delete_group(&mut self, id: &str) -> Result<(), StoreError> {
        let result = groups::Entity::delete_by_id(id).exec(&self.txn).await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.gateway(GatewayChange::Everyone);
        self.gateway(GatewayChange::Apps);
        Ok(())
    }

    /// Put `user` in group `group_id`; `false` when already there.
    pub async fn add_to_group(
        &mut self,
        user: &UserId,
        group_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let inserted = user_groups::Entity::insert(user_groups::ActiveModel {
            user_id: Set(user.as_str().to_string()),
            group_id: Set(group_id.to_string()),
            added_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([user_groups::Column::UserId, user_groups::Column::GroupId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.txn)
        .await?;
        self.gateway(GatewayChange::User(user.to_string()));
        Ok(inserted > 0)
    }

    /// Take `user` out of group `group_id`; `false` when not there.
    pub async fn remove_from_group(
        &mut self,
        user: &UserId,
        group_id: &str,
    ) -> Result<bool, StoreError> {
        let result = user_groups::Entity::delete_many()
            .filter(user_groups::Column::UserId.eq(user.as_str()))
            .filter(user_groups::Column::GroupId.eq(group_id))
            .exec(&self.txn)
            .await?;
        self.gateway(GatewayChange::User(user.to_string()));
        Ok(result.rows_affected > 0)
    }
}
