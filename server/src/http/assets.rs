//! The stylesheet and icons under `/static`, compiled into the binary so that
//! it runs anywhere on its own. Each answer carries a strong ETag (a hash of
//! the content) and may be cached for an hour, then revalidated for free.
//! `static_dir` replaces them with files from a directory.

use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::crypto::sha256_hex;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// Every file of `static/`; a unit test keeps the list complete.
const ASSETS: &[Asset] = &[
    Asset {
        name: "tessera.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../../static/tessera.css"),
    },
    Asset {
        name: "admin.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../../static/admin.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../../../static/favicon.svg"),
    },
];

/// `"…"` ETags, computed once.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| format!("\"{}\"", &sha256_hex(a.body)[..32]))
        .collect()
});

pub async fn asset_get(req: HttpRequest, name: web::Path<String>) -> HttpResponse {
    let Some(index) = ASSETS.iter().position(|a| a.name == name.as_str()) else {
        return HttpResponse::NotFound().finish();
    };
    let (asset, etag) = (&ASSETS[index], &ETAGS[index]);
    let fresh = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((ETAG, etag.as_str()))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"));
    if fresh {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_static_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../static");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("static/")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.name.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }
}
