//! Services: API resources with their scopes, roles and permissions; which
//! clients may get tokens for them or exchange tokens to them; who may
//! introspect their tokens; opaque access tokens (stored hashed); and the
//! resources a grant was made for (RFC 8707).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Apis {
    Table,
    Id,
    Identifier,
    Name,
    Scopes,
    TokenFormat,
    AccessTokenAlg,
    Lifetime,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiRoles {
    Table,
    Id,
    ApiId,
    Name,
    Permissions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleUsers {
    Table,
    RoleId,
    UserId,
}

#[derive(DeriveIden)]
enum RoleGroups {
    Table,
    RoleId,
    GroupId,
}

#[derive(DeriveIden)]
enum ClientApis {
    Table,
    ClientId,
    ApiId,
    Scopes,
    Direct,
    Exchange,
}

#[derive(DeriveIden)]
enum ApiIntrospectors {
    Table,
    ApiId,
    ClientId,
}

#[derive(DeriveIden)]
enum OpaqueTokens {
    Table,
    TokenHash,
    ApiId,
    ClientId,
    GrantId,
    Claims,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Resources,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
}

fn cascade(from: (DynIden, DynIden), to: (DynIden, DynIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn to_api(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    cascade(
        (table.into_iden(), column.into_iden()),
        (Apis::Table.into_iden(), Apis::Id.into_iden()),
    )
}

fn to_client(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    cascade(
        (table.into_iden(), column.into_iden()),
        (Clients::Table.into_iden(), Clients::Id.into_iden()),
    )
}

fn to_role(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    cascade(
        (table.into_iden(), column.into_iden()),
        (ApiRoles::Table.into_iden(), ApiRoles::Id.into_iden()),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Apis::Table)
                    .col(string_len(Apis::Id, 36).primary_key())
                    .col(string_len_uniq(Apis::Identifier, 255))
                    .col(string_len(Apis::Name, 128))
                    .col(text(Apis::Scopes))
                    .col(string_len(Apis::TokenFormat, 16))
                    .col(string_len(Apis::AccessTokenAlg, 16))
                    .col(big_integer(Apis::Lifetime))
                    .col(big_integer(Apis::CreatedAt))
                    .col(big_integer(Apis::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiRoles::Table)
                    .col(string_len(ApiRoles::Id, 36).primary_key())
                    .col(string_len(ApiRoles::ApiId, 36))
                    .col(string_len(ApiRoles::Name, 64))
                    .col(text(ApiRoles::Permissions))
                    .col(big_integer(ApiRoles::CreatedAt))
                    .foreign_key(&mut to_api(ApiRoles::Table, ApiRoles::ApiId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_roles_api_name")
                    .table(ApiRoles::Table)
                    .col(ApiRoles::ApiId)
                    .col(ApiRoles::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleUsers::Table)
                    .col(string_len(RoleUsers::RoleId, 36))
                    .col(string_len(RoleUsers::UserId, 64))
                    .primary_key(
                        Index::create()
                            .col(RoleUsers::RoleId)
                            .col(RoleUsers::UserId),
                    )
                    .foreign_key(&mut to_role(RoleUsers::Table, RoleUsers::RoleId))
                    .foreign_key(&mut cascade(
                        (RoleUsers::Table.into_iden(), RoleUsers::UserId.into_iden()),
                        (Users::Table.into_iden(), Users::Id.into_iden()),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_role_users_user")
                    .table(RoleUsers::Table)
                    .col(RoleUsers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleGroups::Table)
                    .col(string_len(RoleGroups::RoleId, 36))
                    .col(string_len(RoleGroups::GroupId, 36))
                    .primary_key(
                        Index::create()
                            .col(RoleGroups::RoleId)
                            .col(RoleGroups::GroupId),
                    )
                    .foreign_key(&mut to_role(RoleGroups::Table, RoleGroups::RoleId))
                    .foreign_key(&mut cascade(
                        (
                            RoleGroups::Table.into_iden(),
                            RoleGroups::GroupId.into_iden(),
                        ),
                        (Groups::Table.into_iden(), Groups::Id.into_iden()),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_role_groups_group")
                    .table(RoleGroups::Table)
                    .col(RoleGroups::GroupId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClientApis::Table)
                    .col(string_len(ClientApis::ClientId, 128))
                    .col(string_len(ClientApis::ApiId, 36))
                    .col(text_null(ClientApis::Scopes))
                    .col(boolean(ClientApis::Direct))
                    .col(boolean(ClientApis::Exchange))
                    .primary_key(
                        Index::create()
                            .col(ClientApis::ClientId)
                            .col(ClientApis::ApiId),
                    )
                    .foreign_key(&mut to_client(ClientApis::Table, ClientApis::ClientId))
                    .foreign_key(&mut to_api(ClientApis::Table, ClientApis::ApiId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_client_apis_api")
                    .table(ClientApis::Table)
                    .col(ClientApis::ApiId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiIntrospectors::Table)
                    .col(string_len(ApiIntrospectors::ApiId, 36))
                    .col(string_len(ApiIntrospectors::ClientId, 128))
                    .primary_key(
                        Index::create()
                            .col(ApiIntrospectors::ApiId)
                            .col(ApiIntrospectors::ClientId),
                    )
                    .foreign_key(&mut to_api(
                        ApiIntrospectors::Table,
                        ApiIntrospectors::ApiId,
                    ))
                    .foreign_key(&mut to_client(
                        ApiIntrospectors::Table,
                        ApiIntrospectors::ClientId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpaqueTokens::Table)
                    .col(string_len(OpaqueTokens::TokenHash, 64).primary_key())
                    .col(string_len(OpaqueTokens::ApiId, 36))
                    .col(string_len(OpaqueTokens::ClientId, 128))
                    .col(string_len_null(OpaqueTokens::GrantId, 64))
                    .col(text(OpaqueTokens::Claims))
                    .col(big_integer(OpaqueTokens::ExpiresAt))
                    .col(big_integer_null(OpaqueTokens::RevokedAt))
                    .foreign_key(&mut to_api(OpaqueTokens::Table, OpaqueTokens::ApiId))
                    .foreign_key(&mut to_client(OpaqueTokens::Table, OpaqueTokens::ClientId))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_opaque_tokens_grant", OpaqueTokens::GrantId),
            ("idx_opaque_tokens_expires", OpaqueTokens::ExpiresAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OpaqueTokens::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Grants::Table)
                    .add_column(text_null(Grants::Resources))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Grants::Table)
                    .drop_column(Grants::Resources)
                    .to_owned(),
            )
            .await?;
        for table in [
            OpaqueTokens::Table.into_iden(),
            ApiIntrospectors::Table.into_iden(),
            ClientApis::Table.into_iden(),
            RoleGroups::Table.into_iden(),
            RoleUsers::Table.into_iden(),
            ApiRoles::Table.into_iden(),
            Apis::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
