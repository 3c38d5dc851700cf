//! What a security review asked for: a second, gateway-only session secret
//! for the parent-domain cookie; a per-client instant before which its
//! access tokens no longer count; revoked signing keys; and the outbox that
//! carries revocation marks to Redis after the database has committed them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    GatewayHash,
}

#[derive(DeriveIden)]
enum Clients {
    Table,
    TokensValidAfter,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    RevokedAt,
}

#[derive(DeriveIden)]
enum MarkOutbox {
    Table,
    Id,
    Kind,
    Value,
    ExpiresAt,
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: impl IntoIden,
    mut column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(&mut column)
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Sessions::Table,
            string_len_null(Sessions::GatewayHash, 64).to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_gateway_hash")
                    .table(Sessions::Table)
                    .col(Sessions::GatewayHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        add_column(
            manager,
            Clients::Table,
            big_integer(Clients::TokensValidAfter).default(0).to_owned(),
        )
        .await?;
        add_column(
            manager,
            SigningKeys::Table,
            big_integer_null(SigningKeys::RevokedAt).to_owned(),
        )
        .await?;
        // Revocations of the last minutes are replayed into a Redis that
        // lost them: found by this index.
        manager
            .create_index(
                Index::create()
                    .name("idx_grants_revoked_at")
                    .table(Grants::Table)
                    .col(Grants::RevokedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MarkOutbox::Table)
                    .col(big_integer(MarkOutbox::Id).auto_increment().primary_key())
                    .col(string_len(MarkOutbox::Kind, 16))
                    .col(string_len(MarkOutbox::Value, 128))
                    .col(big_integer(MarkOutbox::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MarkOutbox::Table).to_owned())
            .await?;
        for name in ["idx_grants_revoked_at", "idx_sessions_gateway_hash"] {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        for (table, column) in [
            (
                SigningKeys::Table.into_iden(),
                SigningKeys::RevokedAt.into_iden(),
            ),
            (
                Clients::Table.into_iden(),
                Clients::TokensValidAfter.into_iden(),
            ),
            (
                Sessions::Table.into_iden(),
                Sessions::GatewayHash.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
