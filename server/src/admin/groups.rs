//! Groups of users: create, list, show with members, delete; put users in
//! and take them out. Every change is audited in its own transaction, and
//! gateways see it at their next decision (see `store::gateway`).

use serde_json::json;

use super::users::{UserRef, find_user};
use super::{AdminError, event};
use crate::domain::{Actor, Group, GroupName, UserId, Username};
use crate::store::Store;

pub async fn create_group(
    store: &Store,
    name: &str,
    actor: &Actor,
    now: i64,
) -> Result<Group, AdminError> {
    let group = Group {
        id: uuid::Uuid::new_v4().to_string(),
        name: GroupName::parse(name)?,
        created_at: now,
        members: 0,
    };
    let mut unit = store.unit().await?;
    unit.insert_group(&group)
        .await
        .map_err(|e| AdminError::from_store(e, format!("group {}", group.name)))?;
    unit.audit(&[event(
        actor,
        "group.create",
        Some(target(&group.name)),
        json!({}),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(group)
}

fn target(name: &GroupName) -> String {
    format!("group:{name}")
}

pub async fn list_groups(store: &Store) -> Result<Vec<Group>, AdminError> {
    Ok(store.list_groups().await?)
}

pub async fn find_group(store: &Store, name: &str) -> Result<Group, AdminError> {
    let name = GroupName::parse(name)?;
    store
        .group_by_name(&name)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("group {name}")))
}

/// A group with (the first thousand of) its members, by username.
pub async fn show_group(
    store: &Store,
    name: &str,
) -> Result<(Group, Vec<(UserId, Username)>), AdminError> {
    let group = find_group(store, name).await?;
    let members = store.group_members(&group.id).await?;
    Ok((group, members))
}

/// Delete a group: its members leave it, and applications that allowed it
/// no longer do.
pub async fn delete_group(
    store: &Store,
    name: &str,
    actor: &Actor,
    now: i64,
) -> Result<(), AdminError> {
    let group = find_group(store, name).await?;
    let mut unit = store.unit().await?;
    unit.delete_group(&group.id)
        .await
        .map_err(|e| AdminError::from_store(e, format!("group {}", group.name)))?;
    unit.audit(&[event(
        actor,
        "group.delete",
        Some(target(&group.name)),
        json!({ "members": group.members }),
        now,
    )])
    .await?;
    unit.commit().await?;
    Ok(())
}

/// Put a user in a group; `false` (and no audit record) when already there.
pub async fn add_member(
    store: &Store,
    user: UserRef<'_>,
    group: &str,
    actor: &Actor,
    now: i64,
) -> Result<bool, AdminError> {
    let user = find_user(store, user).await?;
    let group = find_group(store, group).await?;
    let mut unit = store.unit().await?;
    let added = unit.add_to_group(&user.id, &group.id, now).await?;
    if added {
        unit.audit(&[event(
            actor,
            "group.add_member",
            Some(format!("user:{}", user.id)),
            json!({ "group": group.name }),
            now,
        )])
        .await?;
    }
    unit.commit().await?;
    Ok(added)
}

/// Take a user out of a group; `false` (and no audit record) when not in it.
pub async fn remove_member(
    store: &Store,
    user: UserRef<'_>,
    group: &str,
    actor: &Actor,
    now: i64,
) -> Result<bool, AdminError> {
    let user = find_user(store, user).await?;
    let group = find_group(store, group).await?;
    let mut unit = store.unit().await?;
    let removed = unit.remove_from_group(&user.id, &group.id).await?;
    if removed {
        unit.audit(&[event(
            actor,
            "group.remove_member",
            Some(format!("user:{}", user.id)),
            json!({ "group": group.name }),
            now,
        )])
        .await?;
    }
    unit.commit().await?;
    Ok(removed)
}

/// The groups a user belongs to, by name.
pub async fn groups_of(store: &Store, user: UserRef<'_>) -> Result<Vec<GroupName>, AdminError> {
    let user = find_user(store, user).await?;
    Ok(store.groups_of_user(&user.id).await?)
}

/// Make a user's groups exactly `names`; the additions and removals are
/// audited one by one, in one transaction.
pub async fn set_groups(
    store: &Store,
    user: UserRef<'_>,
    names: &[String],
    actor: &Actor,
    now: i64,
) -> Result<Vec<GroupName>, AdminError> {
    let user = find_user(store, user).await?;
    let mut wanted = Vec::new();
    for name in names {
        let group = find_group(store, name).await?;
        if !wanted.iter().any(|g: &Group| g.id == group.id) {
            wanted.push(group);
        }
    }
    let current = store.groups_of_user(&user.id).await?;
    let mut unit = store.unit().await?;
    let mut events = Vec::new();
    for group in &wanted {
        if unit.add_to_group(&user.id, &group.id, now).await? {
            events.push(event(
                actor,
                "group.add_member",
                Some(format!("user:{}", user.id)),
                json!({ "group": group.name }),
                now,
            ));
        }
    }
    for name in current
        .iter()
        .filter(|n| wanted.iter().all(|g| &g.name != *n))
    {
        if let Some(group) = store.group_by_name(name).await?
            && unit.remove_from_group(&user.id, &group.id).await?
        {
            events.push(event(
                actor,
                "group.remove_member",
                Some(format!("user:{}", user.id)),
                json!({ "group": group.name }),
                now,
            ));
        }
    }
    unit.audit(&events).await?;
    unit.commit().await?;
    let mut names: Vec<GroupName> = wanted.into_iter().map(|g| g.name).collect();
    names.sort();
    Ok(names)
}
