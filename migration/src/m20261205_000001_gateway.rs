//! Gateways: groups of users, and the applications a gateway protects with
//! who may use them (groups and single users).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserGroups {
    Table,
    UserId,
    GroupId,
    AddedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Apps {
    Table,
    Id,
    Name,
    Host,
    Audience,
    TokenAlg,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppGroups {
    Table,
    AppId,
    GroupId,
}

#[derive(DeriveIden)]
enum AppUsers {
    Table,
    AppId,
    UserId,
}

fn cascade(from: (DynIden, DynIden), to: (DynIden, DynIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Groups::Table)
                    .col(string_len(Groups::Id, 36).primary_key())
                    .col(string_len_uniq(Groups::Name, 64))
                    .col(big_integer(Groups::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserGroups::Table)
                    .col(string_len(UserGroups::UserId, 64))
                    .col(string_len(UserGroups::GroupId, 36))
                    .col(big_integer(UserGroups::AddedAt))
                    .primary_key(
                        Index::create()
                            .col(UserGroups::UserId)
                            .col(UserGroups::GroupId),
                    )
                    .foreign_key(&mut cascade(
                        (
                            UserGroups::Table.into_iden(),
                            UserGroups::UserId.into_iden(),
                        ),
                        (Users::Table.into_iden(), Users::Id.into_iden()),
                    ))
                    .foreign_key(&mut cascade(
                        (
                            UserGroups::Table.into_iden(),
                            UserGroups::GroupId.into_iden(),
                        ),
                        (Groups::Table.into_iden(), Groups::Id.into_iden()),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_groups_group")
                    .table(UserGroups::Table)
                    .col(UserGroups::GroupId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Apps::Table)
                    .col(string_len(Apps::Id, 36).primary_key())
                    .col(string_len(Apps::Name, 200))
                    .col(string_len_uniq(Apps::Host, 253))
                    .col(string_len(Apps::Audience, 2048))
                    .col(string_len(Apps::TokenAlg, 16))
                    .col(big_integer(Apps::CreatedAt))
                    .col(big_integer(Apps::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppGroups::Table)
                    .col(string_len(AppGroups::AppId, 36))
                    .col(string_len(AppGroups::GroupId, 36))
                    .primary_key(
                        Index::create()
                            .col(AppGroups::AppId)
                            .col(AppGroups::GroupId),
                    )
                    .foreign_key(&mut cascade(
                        (AppGroups::Table.into_iden(), AppGroups::AppId.into_iden()),
                        (Apps::Table.into_iden(), Apps::Id.into_iden()),
                    ))
                    .foreign_key(&mut cascade(
                        (AppGroups::Table.into_iden(), AppGroups::GroupId.into_iden()),
                        (Groups::Table.into_iden(), Groups::Id.into_iden()),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppUsers::Table)
                    .col(string_len(AppUsers::AppId, 36))
                    .col(string_len(AppUsers::UserId, 64))
                    .primary_key(Index::create().col(AppUsers::AppId).col(AppUsers::UserId))
                    .foreign_key(&mut cascade(
                        (AppUsers::Table.into_iden(), AppUsers::AppId.into_iden()),
                        (Apps::Table.into_iden(), Apps::Id.into_iden()),
                    ))
                    .foreign_key(&mut cascade(
                        (AppUsers::Table.into_iden(), AppUsers::UserId.into_iden()),
                        (Users::Table.into_iden(), Users::Id.into_iden()),
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AppUsers::Table.into_iden(),
            AppGroups::Table.into_iden(),
            Apps::Table.into_iden(),
            UserGroups::Table.into_iden(),
            Groups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
