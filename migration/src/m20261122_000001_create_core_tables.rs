//! Users, clients, signing keys, SSO sessions, consents, grants, refresh
//! tokens and the access-token deny-list. Timestamps are Unix seconds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    EmailVerified,
    Name,
    GivenName,
    FamilyName,
    PasswordHash,
    IsAdmin,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    Name,
    SecretHash,
    AuthMethod,
    RedirectUris,
    GrantTypes,
    FirstParty,
    IdTokenAlg,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    PrivateKey,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    Sid,
    UserId,
    AuthTime,
    Amr,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
    AbsoluteExpiresAt,
    Ip,
    UserAgent,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    UserId,
    ClientId,
    Scope,
    GrantedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    ClientId,
    UserId,
    SessionSid,
    Scope,
    AuthTime,
    Amr,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    TokenHash,
    GrantId,
    ClientId,
    Scope,
    IssuedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum TokenDenylist {
    Table,
    Jti,
    ExpiresAt,
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
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
                    .table(Users::Table)
                    .col(string_len(Users::Id, 64).primary_key())
                    .col(string_len_uniq(Users::Username, 64))
                    .col(string_len_null(Users::Email, 254))
                    .col(boolean(Users::EmailVerified).default(false))
                    .col(string_len_null(Users::Name, 200))
                    .col(string_len_null(Users::GivenName, 200))
                    .col(string_len_null(Users::FamilyName, 200))
                    .col(text(Users::PasswordHash))
                    .col(boolean(Users::IsAdmin).default(false))
                    .col(boolean(Users::Disabled).default(false))
                    .col(big_integer(Users::CreatedAt))
                    .col(big_integer(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(string_len(Clients::Id, 128).primary_key())
                    .col(string_len(Clients::Name, 200))
                    .col(string_len_null(Clients::SecretHash, 128))
                    .col(string_len(Clients::AuthMethod, 32))
                    .col(text(Clients::RedirectUris))
                    .col(text(Clients::GrantTypes))
                    .col(boolean(Clients::FirstParty).default(false))
                    .col(string_len(Clients::IdTokenAlg, 16))
                    .col(big_integer(Clients::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .col(string_len(SigningKeys::Kid, 64).primary_key())
                    .col(string_len(SigningKeys::Alg, 16))
                    .col(text(SigningKeys::PrivateKey))
                    .col(boolean(SigningKeys::Active))
                    .col(big_integer(SigningKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::IdHash, 64).primary_key())
                    .col(string_len_uniq(Sessions::Sid, 64))
                    .col(string_len(Sessions::UserId, 64))
                    .col(big_integer(Sessions::AuthTime))
                    .col(text(Sessions::Amr))
                    .col(big_integer(Sessions::CreatedAt))
                    .col(big_integer(Sessions::LastSeenAt))
                    .col(big_integer(Sessions::IdleExpiresAt))
                    .col(big_integer(Sessions::AbsoluteExpiresAt))
                    .col(string_len_null(Sessions::Ip, 64))
                    .col(string_len_null(Sessions::UserAgent, 512))
                    .foreign_key(&mut cascade(
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(string_len(Consents::UserId, 64))
                    .col(string_len(Consents::ClientId, 128))
                    .col(text(Consents::Scope))
                    .col(big_integer(Consents::GrantedAt))
                    .primary_key(
                        Index::create()
                            .col(Consents::UserId)
                            .col(Consents::ClientId),
                    )
                    .foreign_key(&mut cascade(
                        (Consents::Table, Consents::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (Consents::Table, Consents::ClientId),
                        (Clients::Table, Clients::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(string_len(Grants::Id, 64).primary_key())
                    .col(string_len(Grants::ClientId, 128))
                    .col(string_len(Grants::UserId, 64))
                    .col(string_len_null(Grants::SessionSid, 64))
                    .col(text(Grants::Scope))
                    .col(big_integer(Grants::AuthTime))
                    .col(text(Grants::Amr))
                    .col(big_integer(Grants::CreatedAt))
                    .col(big_integer_null(Grants::RevokedAt))
                    .foreign_key(&mut cascade(
                        (Grants::Table, Grants::ClientId),
                        (Clients::Table, Clients::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (Grants::Table, Grants::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_grants_user_id", Grants::UserId),
            ("idx_grants_session_sid", Grants::SessionSid),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Grants::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(string_len(RefreshTokens::TokenHash, 64).primary_key())
                    .col(string_len(RefreshTokens::GrantId, 64))
                    .col(string_len(RefreshTokens::ClientId, 128))
                    .col(text(RefreshTokens::Scope))
                    .col(big_integer(RefreshTokens::IssuedAt))
                    .col(big_integer(RefreshTokens::ExpiresAt))
                    .col(big_integer_null(RefreshTokens::UsedAt))
                    .foreign_key(&mut cascade(
                        (RefreshTokens::Table, RefreshTokens::GrantId),
                        (Grants::Table, Grants::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_tokens_grant_id")
                    .table(RefreshTokens::Table)
                    .col(RefreshTokens::GrantId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TokenDenylist::Table)
                    .col(string_len(TokenDenylist::Jti, 64).primary_key())
                    .col(big_integer(TokenDenylist::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TokenDenylist::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Grants::Table.into_iden(),
            Consents::Table.into_iden(),
            Sessions::Table.into_iden(),
            SigningKeys::Table.into_iden(),
            Clients::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
