//! What ending sessions and tokens needs: clients' logout registration
//! (post-logout redirect URIs, a back-channel logout URI), their allowed
//! scopes and access-token algorithm; the back-channel logout outbox; the
//! audit log; and indexes for the expiry sweeps.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clients {
    Table,
    Id,
    PostLogoutRedirectUris,
    BackchannelLogoutUri,
    BackchannelLogoutSessionRequired,
    AccessTokenAlg,
    Scopes,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdleExpiresAt,
    AbsoluteExpiresAt,
}

#[derive(DeriveIden)]
enum TokenDenylist {
    Table,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LogoutNotices {
    Table,
    Id,
    ClientId,
    Sid,
    Sub,
    State,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    LockedUntil,
    LastAttemptAt,
    LastError,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    Action,
    Target,
    Reason,
    Ip,
    Outcome,
    Details,
}

fn index(name: &str, table: impl IntoIden, columns: Vec<DynIden>) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let columns = [
            text(Clients::PostLogoutRedirectUris)
                .default("[]")
                .to_owned(),
            string_len_null(Clients::BackchannelLogoutUri, 2048).to_owned(),
            boolean(Clients::BackchannelLogoutSessionRequired)
                .default(false)
                .to_owned(),
            string_len(Clients::AccessTokenAlg, 16)
                .default("RS256")
                .to_owned(),
            text_null(Clients::Scopes).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LogoutNotices::Table)
                    .col(string_len(LogoutNotices::Id, 36).primary_key())
                    .col(string_len(LogoutNotices::ClientId, 128))
                    .col(string_len(LogoutNotices::Sid, 64))
                    .col(string_len(LogoutNotices::Sub, 64))
                    .col(string_len(LogoutNotices::State, 16))
                    .col(big_integer(LogoutNotices::CreatedAt))
                    .col(big_integer(LogoutNotices::NextAttemptAt))
                    .col(integer(LogoutNotices::Attempts).default(0))
                    .col(big_integer_null(LogoutNotices::LockedUntil))
                    .col(big_integer_null(LogoutNotices::LastAttemptAt))
                    .col(text_null(LogoutNotices::LastError))
                    .col(big_integer_null(LogoutNotices::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LogoutNotices::Table, LogoutNotices::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_integer(AuditEvents::Id).auto_increment().primary_key())
                    .col(big_integer(AuditEvents::At))
                    .col(string_len(AuditEvents::Actor, 200))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len_null(AuditEvents::Target, 200))
                    .col(string_len_null(AuditEvents::Reason, 64))
                    .col(string_len_null(AuditEvents::Ip, 64))
                    .col(string_len(AuditEvents::Outcome, 32))
                    .col(text_null(AuditEvents::Details))
                    .to_owned(),
            )
            .await?;

        for statement in [
            index(
                "idx_logout_notices_due",
                LogoutNotices::Table,
                vec![
                    LogoutNotices::State.into_iden(),
                    LogoutNotices::NextAttemptAt.into_iden(),
                ],
            ),
            index(
                "idx_logout_notices_client",
                LogoutNotices::Table,
                vec![
                    LogoutNotices::ClientId.into_iden(),
                    LogoutNotices::LastAttemptAt.into_iden(),
                ],
            ),
            index(
                "idx_audit_events_at",
                AuditEvents::Table,
                vec![AuditEvents::At.into_iden()],
            ),
            index(
                "idx_sessions_idle_expires_at",
                Sessions::Table,
                vec![Sessions::IdleExpiresAt.into_iden()],
            ),
            index(
                "idx_sessions_absolute_expires_at",
                Sessions::Table,
                vec![Sessions::AbsoluteExpiresAt.into_iden()],
            ),
            index(
                "idx_token_denylist_expires_at",
                TokenDenylist::Table,
                vec![TokenDenylist::ExpiresAt.into_iden()],
            ),
        ] {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_token_denylist_expires_at",
            "idx_sessions_absolute_expires_at",
            "idx_sessions_idle_expires_at",
        ] {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        for table in [
            AuditEvents::Table.into_iden(),
            LogoutNotices::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Clients::Scopes.into_iden(),
            Clients::AccessTokenAlg.into_iden(),
            Clients::BackchannelLogoutSessionRequired.into_iden(),
            Clients::BackchannelLogoutUri.into_iden(),
            Clients::PostLogoutRedirectUris.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Clients::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
