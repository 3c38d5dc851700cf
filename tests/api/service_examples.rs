//! The example services (`examples/services`) against a running Tessera:
//! the order flow through a token exchange, tokens for the wrong audience
//! refused by each service, and a forced logout refused at once by both,
//! through introspection and through the Redis revocation marks.

use std::net::TcpListener;

use actix_web::{App, HttpServer, web};
use tessera::admin::sessions::logout_user;
use tessera::domain::Actor;
use tessera_services::order::{self, Upstream};
use tessera_services::product;
use tessera_services::settings::Settings;

use crate::helpers::*;
use crate::services::*;

struct Services {
    product: String,
    order: String,
}

fn settings(app: &TestApp, identifier: &str, client: &TestClient, redis: bool) -> Settings {
    Settings {
        issuer: app.issuer.clone(),
        tessera_url: format!("http://127.0.0.1:{}", app.port),
        identifier: identifier.into(),
        bind: "127.0.0.1:0".into(),
        client_id: Some(client.id.clone()),
        client_secret: client.secret.clone(),
        redis_url: if redis {
            app.settings.redis_url.clone()
        } else {
            None
        },
        redis_prefix: app.settings.redis_prefix.clone(),
    }
}

/// Start both services on free ports; the product service reads Redis
/// marks when `product_redis`, the order service always introspects.
async fn start(app: &TestApp, family: &Family, product_redis: bool) -> Services {
    let product_settings = settings(app, PRODUCT, &family.product_svc, product_redis);
    let guard = web::Data::new(product_settings.guard().await.expect("product guard"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let product_url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(guard.clone())
            .configure(product::routes)
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    let order_settings = settings(app, ORDER, &family.order_svc, false);
    let guard = web::Data::new(order_settings.guard().await.expect("order guard"));
    let upstream = web::Data::new(Upstream {
        http: reqwest::Client::new(),
        token_url: format!("{}/token", order_settings.tessera_url),
        client_id: family.order_svc.id.clone(),
        client_secret: family.order_svc.secret.clone().unwrap(),
        product_url: product_url.clone(),
        product_identifier: PRODUCT.into(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let order_url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(guard.clone())
            .app_data(upstream.clone())
            .configure(order::routes)
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Services {
        product: product_url,
        order: order_url,
    }
}

async fn place_order(services: &Services, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/orders", services.order))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(r#"{"product_id": 2, "quantity": 3}"#)
        .send()
        .await
        .expect("order service")
}

async fn get_product(services: &Services, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/products/2", services.product))
        .bearer_auth(token)
        .send()
        .await
        .expect("product service")
}

async fn the_order_flow(app: TestApp, product_redis: bool) {
    let family = family(&app).await;
    let services = start(&app, &family, product_redis).await;
    let order_token = field(
        &user_tokens(&app, &family, Some(ORDER)).await,
        "access_token",
    );
    let alice = claims_of(&app, &order_token).await["sub"].clone();

    let placed = place_order(&services, &order_token).await;
    assert_eq!(placed.status(), 201);
    let placed: serde_json::Value = placed.json().await.unwrap();
    assert_eq!(placed["product"]["name"], "Key ring");
    assert_eq!(placed["product_service_saw"]["for"], alice);
    assert_eq!(
        placed["product_service_saw"]["act"],
        serde_json::json!({ "sub": "order-svc" }),
        "the product service was called with an exchanged token"
    );

    // Each service refuses a token meant for the other.
    assert_eq!(get_product(&services, &order_token).await.status(), 401);
    let product_token = field(
        &user_tokens(&app, &family, Some(PRODUCT)).await,
        "access_token",
    );
    assert_eq!(get_product(&services, &product_token).await.status(), 200);
    assert_eq!(place_order(&services, &product_token).await.status(), 401);
    // A good token without the permission: 403.
    give(
        &app,
        ORDER,
        "buyer",
        tessera::admin::apis::Holder::Group("staff"),
        false,
    )
    .await;
    let no_role = field(
        &user_tokens(&app, &family, Some(ORDER)).await,
        "access_token",
    );
    assert_eq!(place_order(&services, &no_role).await.status(), 403);

    // A forced logout: the very next call to either service is refused.
    let exchanged = field(
        &exchange(
            &app,
            &family.order_svc,
            &order_token,
            &[("resource", PRODUCT)],
        )
        .await
        .json()
        .await
        .unwrap(),
        "access_token",
    );
    assert_eq!(get_product(&services, &exchanged).await.status(), 200);
    logout_user(app.state.provider.store(), "alice", Actor::Cli, app.now())
        .await
        .unwrap();
    assert_eq!(place_order(&services, &order_token).await.status(), 401);
    assert_eq!(get_product(&services, &exchanged).await.status(), 401);
    assert_eq!(get_product(&services, &product_token).await.status(), 401);
}

#[tokio::test]
async fn the_example_services_take_an_order_through_an_exchange_and_refuse_what_is_not_theirs() {
    the_order_flow(spawn_app().await, false).await;
}

#[tokio::test]
async fn the_example_services_refuse_at_once_through_redis_marks_on_postgres_and_redis() {
    the_order_flow(spawn_replicated_app().await, true).await;
}
