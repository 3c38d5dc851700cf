//! The console's Audit log page.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::rows::AuditRow;
use super::{Chrome, console_for_page, failed, next_link, page_query, render};
use crate::admin::audit::{AuditFilter, audit_page, party_names};
use crate::http::HttpError;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    records: Vec<AuditRow>,
    f_actor: String,
    f_action: String,
    f_target: String,
    f_since: String,
    f_until: String,
    next: Option<String>,
}

/// `2026-12-02T04:41` (a `datetime-local` input, read as UTC).
fn parse_local(value: Option<&str>) -> Option<i64> {
    let value = value?;
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

pub async fn audit_get(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, HttpError> {
    let console = console_for_page(&req, &state).await?;
    let query = page_query(&req)?;
    let text = |name: &str| query.get(name).map(str::to_string);
    let page = audit_page(
        state.provider.store(),
        AuditFilter {
            actor: text("actor"),
            action: text("action"),
            target: text("target"),
            about: None,
            since: parse_local(query.get("since")),
            until: parse_local(query.get("until")),
            cursor: text("cursor"),
            limit: Some(100),
        },
    )
    .await
    .map_err(failed)?;
    let names = party_names(state.provider.store(), &page.items)
        .await
        .map_err(failed)?;
    let next = page.next.as_deref().map(|c| {
        next_link(
            "/admin/audit",
            &query,
            &["actor", "action", "target", "since", "until"],
            c,
        )
    });
    Ok(render(
        &req,
        AuditPage {
            chrome: Chrome::new("audit", &console, &state, &query),
            records: page
                .items
                .iter()
                .map(|r| AuditRow::new(r, &names))
                .collect(),
            f_actor: text("actor").unwrap_or_default(),
            f_action: text("action").unwrap_or_default(),
            f_target: text("target").unwrap_or_default(),
            f_since: text("since").unwrap_or_default(),
            f_until: text("until").unwrap_or_default(),
            next,
        },
    ))
}
