//! The admin console: console sessions bound to SSO sessions; signing keys
//! with a life cycle (next, active, retiring, retired) instead of a flag;
//! indexes for the console's listings and filters.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AdminSessions {
    Table,
    IdHash,
    Sid,
    UserId,
    CreatedAt,
    LastSeenAt,
    IdleExpiresAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Sid,
    LastSeenAt,
    Ip,
    IdleExpiresAt,
    AbsoluteExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    CreatedAt,
    Active,
    ActivatesAt,
    DeactivatedAt,
    PublishedUntil,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    Action,
    Target,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    ClientId,
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
        manager
            .create_table(
                Table::create()
                    .table(AdminSessions::Table)
                    .col(string_len(AdminSessions::IdHash, 64).primary_key())
                    .col(string_len(AdminSessions::Sid, 64))
                    .col(string_len(AdminSessions::UserId, 64))
                    .col(big_integer(AdminSessions::CreatedAt))
                    .col(big_integer(AdminSessions::LastSeenAt))
                    .col(big_integer(AdminSessions::IdleExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminSessions::Table, AdminSessions::Sid)
                            .to(Sessions::Table, Sessions::Sid)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdminSessions::Table, AdminSessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // Signing keys: when a key starts signing, stops, and leaves /jwks.
        let columns = [
            big_integer(SigningKeys::ActivatesAt).default(0).to_owned(),
            big_integer_null(SigningKeys::DeactivatedAt).to_owned(),
            big_integer_null(SigningKeys::PublishedUntil).to_owned(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(SigningKeys::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(SigningKeys::Table)
                    .value(SigningKeys::ActivatesAt, Expr::col(SigningKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // A key that no longer signed: out of /jwks a day after its creation.
        manager
            .exec_stmt(
                Query::update()
                    .table(SigningKeys::Table)
                    .value(
                        SigningKeys::DeactivatedAt,
                        Expr::col(SigningKeys::CreatedAt),
                    )
                    .value(
                        SigningKeys::PublishedUntil,
                        Expr::col(SigningKeys::CreatedAt).add(86_400),
                    )
                    .and_where(Expr::col(SigningKeys::Active).eq(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SigningKeys::Table)
                    .drop_column(SigningKeys::Active)
                    .to_owned(),
            )
            .await?;

        for statement in [
            index(
                "idx_admin_sessions_sid",
                AdminSessions::Table,
                vec![AdminSessions::Sid.into_iden()],
            ),
            index(
                "idx_sessions_last_seen",
                Sessions::Table,
                vec![Sessions::LastSeenAt.into_iden(), Sessions::Sid.into_iden()],
            ),
            // Counting live sessions reads this index alone.
            index(
                "idx_sessions_live",
                Sessions::Table,
                vec![
                    Sessions::IdleExpiresAt.into_iden(),
                    Sessions::AbsoluteExpiresAt.into_iden(),
                ],
            ),
            index(
                "idx_sessions_ip",
                Sessions::Table,
                vec![Sessions::Ip.into_iden()],
            ),
            index(
                "idx_grants_client_id",
                Grants::Table,
                vec![Grants::ClientId.into_iden()],
            ),
            index(
                "idx_audit_events_action",
                AuditEvents::Table,
                vec![AuditEvents::Action.into_iden(), AuditEvents::At.into_iden()],
            ),
            index(
                "idx_audit_events_actor",
                AuditEvents::Table,
                vec![AuditEvents::Actor.into_iden(), AuditEvents::Id.into_iden()],
            ),
            index(
                "idx_audit_events_target",
                AuditEvents::Table,
                vec![AuditEvents::Target.into_iden(), AuditEvents::Id.into_iden()],
            ),
        ] {
            manager.create_index(statement).await?;
        }
        // Email search is case-insensitive and by prefix, and wants the
        // usernames of the matches: an index on the lowercase address that
        // also holds them answers without reading the table.
        let email_index = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE INDEX idx_users_email_lower ON users (lower(email)) INCLUDE (username, email)"
            }
            _ => "CREATE INDEX idx_users_email_lower ON users (lower(email), username)",
        };
        manager
            .get_connection()
            .execute_unprepared(email_index)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "idx_audit_events_target",
            "idx_audit_events_actor",
            "idx_audit_events_action",
            "idx_grants_client_id",
            "idx_sessions_ip",
            "idx_sessions_live",
            "idx_sessions_last_seen",
            "idx_users_email_lower",
        ] {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SigningKeys::Table)
                    .add_column(boolean(SigningKeys::Active).default(true))
                    .to_owned(),
            )
            .await?;
        for column in [
            SigningKeys::PublishedUntil.into_iden(),
            SigningKeys::DeactivatedAt.into_iden(),
            SigningKeys::ActivatesAt.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SigningKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(AdminSessions::Table).to_owned())
            .await
    }
}
