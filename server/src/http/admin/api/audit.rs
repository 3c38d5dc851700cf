//! `/admin/api/v1/audit` and `/admin/api/v1/overview`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::auth::{number, query};
use super::dto::{AuditOut, AuditPage, OverviewOut};
use super::users::ok;
use super::{ApiCaller, ApiError, Problem};
use crate::admin::audit::{AuditFilter, audit_page};
use crate::admin::overview::overview;
use crate::state::AppState;

/// The audit log, newest first, a page at a time.
#[utoipa::path(get, path = "/admin/api/v1/audit", tag = "audit",
    params(
        ("actor" = Option<String>, Query, description = "A username (as themselves or as administrator), `user:ID`, `admin:ID`, `client:ID`, `cli`, `system`, `anonymous`"),
        ("action" = Option<String>, Query, description = "e.g. `sign_in`, `session.end`, `key.rotate`"),
        ("target" = Option<String>, Query, description = "A username, or e.g. `user:ID`, `session:SID`, `client:ID`"),
        ("since" = Option<i64>, Query, description = "From this Unix time on"),
        ("until" = Option<i64>, Query, description = "Before this Unix time"),
        ("cursor" = Option<String>, Query, description = "`next` of the previous page"),
        ("limit" = Option<u64>, Query, description = "At most 200; 50 by default"),
    ),
    responses((status = 200, body = AuditPage), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn audit_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let params = query(&req)?;
    let page = audit_page(
        state.provider.store(),
        AuditFilter {
            actor: params.get("actor").map(str::to_string),
            action: params.get("action").map(str::to_string),
            target: params.get("target").map(str::to_string),
            about: None,
            since: number(&params, "since")?,
            until: number(&params, "until")?,
            cursor: params.get("cursor").map(str::to_string),
            limit: number(&params, "limit")?,
        },
    )
    .await?;
    Ok(ok(AuditPage {
        items: page.items.iter().map(AuditOut::from).collect(),
        next: page.next,
    }))
}

/// Counts of users, clients, live sessions, sign-ins in the last day and
/// back-channel deliveries.
#[utoipa::path(get, path = "/admin/api/v1/overview", tag = "overview",
    responses((status = 200, body = OverviewOut), (status = 401, body = Problem)),
    security(("bearer" = ["admin:read"])))]
pub async fn overview_get(
    state: web::Data<AppState>,
    _caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let counts = overview(state.provider.store(), state.now()).await?;
    Ok(ok(OverviewOut::from(&counts)))
}
