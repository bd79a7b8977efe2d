//! `GET /api/v1/recommendations` and `GET /api/v1/products/{id}` on a fresh seeded database:
//! each intent against counts taken straight from the order history, the errors, and the wire
//! shape read back through the widgets' own `lojal` mapping preset.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use lojal::core::catalog::mapping::{Context, Mapping};
use serde_json::Value;
use shop_api::db::Db;
use shop_api::identity::ShopSecret;
use shop_api::{AppState, Options, app};
use tempfile::TempDir;
use tower::ServiceExt;

struct Shop {
    router: Router,
    db: Db,
    _dir: TempDir,
}

fn shop() -> Shop {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState::new(db.clone(), ShopSecret::new("test-secret"));
    Shop {
        router: app(state, &Options::default()),
        db,
        _dir: dir,
    }
}

impl Shop {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let request = Request::get(path).body(Body::empty()).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body:?}"));
        (status, json)
    }

    async fn ids(&self, query: &str) -> Vec<String> {
        let (status, body) = self.get(&format!("/api/v1/recommendations?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn sql(&self, sql: &str) {
        let sql = sql.to_owned();
        common::with_conn(&self.db, move |conn| conn.execute_batch(&sql));
    }

    fn column(&self, sql: &str) -> Vec<(String, i64)> {
        let sql = sql.to_owned();
        common::with_conn(&self.db, move |conn| {
            conn.query(&sql, &[])?
                .iter()
                .map(|r| Ok((r.get(0)?, r.get(1)?)))
                .collect()
        })
    }
}

#[tokio::test]
async fn bought_together_ranks_products_by_how_many_orders_they_share() {
    let shop = shop();
    let ids = shop
        .ids("product_id=p-setesdal&intent=bought-together&limit=50")
        .await;
    // The same counts, straight from the order history.
    let shared = shop.column(
        "SELECT other.product_id, COUNT(*) FROM order_lines mine
         JOIN order_lines other ON other.order_id = mine.order_id
         WHERE mine.product_id = 'p-setesdal' AND other.product_id <> 'p-setesdal'
         GROUP BY other.product_id",
    );
    assert_eq!(ids.len(), shared.len());
    assert!(!ids.contains(&"p-setesdal".to_owned()));
    let counts: Vec<i64> = ids
        .iter()
        .map(|id| shared.iter().find(|(p, _)| p == id).unwrap().1)
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "{ids:?} {counts:?}"
    );
    // The seed data makes the sweater's companions meaningful: the hat, the wool wash, the mittens.
    assert_eq!(ids[..3], ["p-marius", "p-ullvask", "p-selbu"]);

    // One more order with the sweater and knitting needles moves the needles up.
    let before = ids.iter().position(|id| id == "p-pinner").unwrap();
    let mut orders = String::new();
    for n in 0..20 {
        orders.push_str(&format!(
            "INSERT INTO orders VALUES ('t-{n}', NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
             INSERT INTO order_lines VALUES ('t-{n}', 'p-setesdal', 1), ('t-{n}', 'p-pinner', 1);"
        ));
    }
    shop.sql(&orders);
    let after = shop
        .ids("product_id=p-setesdal&intent=bought-together&limit=3")
        .await;
    assert!(before > 0);
    assert_eq!(after[0], "p-pinner");
    assert_eq!(after.len(), 3, "limit");
}

#[tokio::test]
async fn popular_follows_recent_orders_before_old_ones() {
    let shop = shop();
    let ids = shop.ids("intent=popular&limit=50").await;
    let recent = shop.column(
        "SELECT l.product_id, SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE o.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 days')
         GROUP BY l.product_id ORDER BY 2 DESC",
    );
    assert_eq!(
        ids[0], recent[0].0,
        "the most ordered product this month leads"
    );
    assert_eq!(
        ids.len(),
        14,
        "every product that ever sold, the rest after the recent ones"
    );

    // A huge order long ago does not make a product popular now; a modest recent one does.
    shop.sql(
        "INSERT INTO orders VALUES ('old', NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-200 days'));
         INSERT INTO order_lines VALUES ('old', 'p-pannebaand', 900);
         INSERT INTO orders VALUES ('new', NULL, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 days'));
         INSERT INTO order_lines VALUES ('new', 'p-pinner', 90);",
    );
    let ids = shop.ids("intent=popular&limit=3").await;
    assert_eq!(ids[0], "p-pinner");
    assert!(!ids.contains(&"p-pannebaand".to_owned()), "{ids:?}");
    // On a product page the product itself is left out.
    let ids = shop.ids("intent=popular&product_id=p-pinner&limit=3").await;
    assert!(!ids.contains(&"p-pinner".to_owned()));
}

#[tokio::test]
async fn back_in_stock_lists_recent_restocks_that_are_in_stock_newest_first() {
    let shop = shop();
    let ids = shop.ids("intent=back-in-stock").await;
    // Restocked 2, 5 and 9 days ago; the mittens' restock 75 days ago is old news.
    assert_eq!(ids, ["p-alpakka", "p-islender", "p-barnelue"]);
    // A restock that sold out again is not shown.
    shop.sql(
        "INSERT INTO restock_events (product_id, quantity, restocked_at)
           VALUES ('p-lusekofte', 3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 days'));",
    );
    assert_eq!(shop.ids("intent=back-in-stock").await[0], "p-alpakka");
    shop.sql("UPDATE products SET stock = 3 WHERE id = 'p-lusekofte';");
    assert_eq!(shop.ids("intent=back-in-stock").await[0], "p-lusekofte");
}

#[tokio::test]
async fn related_means_the_same_category() {
    let shop = shop();
    let ids = shop.ids("product_id=p-setesdal&intent=related").await;
    // The other sweaters, the one in stock first.
    assert_eq!(ids, ["p-islender", "p-lusekofte"]);
    assert_eq!(
        shop.ids("product_id=p-setesdal").await,
        ids,
        "related is the default"
    );
}

#[tokio::test]
async fn the_wire_shape_is_what_the_lojal_preset_reads() {
    let shop = shop();
    let (status, body) = shop
        .get("/api/v1/recommendations?product_id=p-setesdal&intent=bought-together&limit=50")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["intent"], "bought-together");
    assert_eq!(body["product_id"], "p-setesdal");
    let marius = &body["products"][0];
    assert_eq!(marius["title"], "Marius-lue");
    assert_eq!(marius["url"], "/product.html?id=p-marius");
    assert_eq!(marius["price"]["amount"], 34900);
    assert_eq!(marius["price"]["compare_at"], 44900);
    assert_eq!(marius["price"]["currency"], "NOK");
    assert_eq!(marius["price"]["minor_unit"], 2);
    assert_eq!(marius["image"]["src"], "/img/products/p-marius-640.png");
    assert_eq!(
        marius["image"]["srcset"],
        "/img/products/p-marius-320.png 320w, /img/products/p-marius-640.png 640w"
    );
    let mapped = Mapping::preset("lojal")
        .unwrap()
        .apply(
            &body,
            &Context {
                limit: 50,
                ..Context::default()
            },
        )
        .unwrap();
    assert_eq!(mapped.warnings, vec![]);
    assert_eq!(
        mapped.products.len(),
        body["products"].as_array().unwrap().len()
    );
    let sold_out = mapped
        .products
        .iter()
        .find(|p| p.id == "p-lusekofte")
        .unwrap();
    assert!(!sold_out.in_stock);
}

#[tokio::test]
async fn one_product_by_id_and_unknown_ones_are_404() {
    let shop = shop();
    let (status, body) = shop.get("/api/v1/products/p-fana").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["title"], "Garnpakke: Fana");
    assert_eq!(body["rating"]["count"], 12);
    let (status, body) = shop.get("/api/v1/products/p-nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "unknown_product");
}

#[tokio::test]
async fn bad_queries_get_json_errors() {
    let shop = shop();
    let cases = [
        (
            "product_id=p-nope&intent=bought-together",
            404,
            "unknown_product",
        ),
        ("product_id=p-setesdal&intent=upsell", 422, "invalid_query"),
        (
            "product_id=p-setesdal&intent=recently-viewed",
            422,
            "invalid_query",
        ),
        ("intent=bought-together", 422, "invalid_query"),
        ("intent=related&product_id=", 422, "invalid_query"),
        ("intent=popular&limit=0", 422, "invalid_query"),
        ("intent=popular&limit=51", 422, "invalid_query"),
        ("intent=popular&limit=ti", 422, "invalid_query"),
        ("intent=popular&limit=-1", 422, "invalid_query"),
    ];
    for (query, status, code) in cases {
        let (got, body) = shop.get(&format!("/api/v1/recommendations?{query}")).await;
        assert_eq!(got.as_u16(), status, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
    }
    let long = "x".repeat(200);
    let (got, _) = shop
        .get(&format!(
            "/api/v1/recommendations?intent=popular&product_id={long}"
        ))
        .await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_lojal_preset_never_asks_for_more_than_the_api_gives() {
    let shop = shop();
    let max = Mapping::preset("lojal").unwrap().max_limit;
    assert_eq!(max, Some(shop_api::catalog::MAX_LIMIT));
    let limit = |n: usize| format!("/api/v1/recommendations?intent=popular&limit={n}");
    let (status, _) = shop.get(&limit(shop_api::catalog::MAX_LIMIT)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = shop.get(&limit(shop_api::catalog::MAX_LIMIT + 1)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A "for you" or "cart" rail, signed for `customer` with `signature` when given.
async fn rail(shop: &Shop, query: &str, customer: Option<(&str, &str)>) -> (Vec<String>, Value) {
    let mut request = Request::get(format!("/api/v1/recommendations?{query}"));
    if let Some((_, signature)) = customer {
        request = request.header("x-lojal-signature", signature);
    }
    let response = shop
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    let body: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let ids = body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body["basis"].clone())
}

fn sig(id: &str) -> String {
    ShopSecret::new("test-secret").sign(id)
}

#[tokio::test]
async fn for_you_differs_by_shopper_leaves_out_what_she_bought_and_keeps_to_stock() {
    let shop = shop();
    let mut rails = Vec::new();
    for customer in ["c-1001", "c-1002", "c-1003"] {
        let (ids, basis) = rail(
            &shop,
            &format!("intent=for-you&customer_id={customer}&limit=6"),
            Some((customer, &sig(customer))),
        )
        .await;
        assert_eq!(basis[0], "purchases", "{customer}: {basis}");
        assert!(!ids.is_empty(), "{customer}");
        // What she bought is not offered again, unless it is bought again and again.
        let bought = shop.column(&format!(
            "SELECT DISTINCT l.product_id, p.repeat_purchase FROM order_lines l JOIN orders o ON o.id = l.order_id
             JOIN products p ON p.id = l.product_id WHERE o.customer_id = '{customer}'"
        ));
        for (product, repeat) in &bought {
            assert!(
                *repeat == 1 || !ids.contains(product),
                "{customer} bought {product}: {ids:?}"
            );
        }
        assert!(!ids.contains(&"p-lusekofte".to_owned()), "sold out");
        rails.push(ids);
    }
    assert_ne!(rails[0], rails[1], "two shoppers, two rails");
    assert_ne!(rails[1], rails[2]);
}

#[tokio::test]
async fn a_forged_signature_gets_the_guests_rail_never_someone_elses() {
    let shop = shop();
    let (mine, _) = rail(
        &shop,
        "intent=for-you&customer_id=c-1003&limit=6",
        Some(("c-1003", &sig("c-1003"))),
    )
    .await;
    let (forged, basis) = rail(
        &shop,
        "intent=for-you&customer_id=c-1003&limit=6",
        Some(("c-1003", &sig("c-1001"))),
    )
    .await;
    let (guest, guest_basis) = rail(&shop, "intent=for-you&limit=6", None).await;
    assert_eq!(forged, guest);
    assert_eq!(basis, guest_basis);
    assert_eq!(basis[0], "popular");
    assert_ne!(forged, mine);
    // A guest who looked at yarn gets what yarn buyers buy.
    let (viewed, basis) = rail(
        &shop,
        "intent=for-you&viewed=p-alpakka,p-fana&limit=4",
        None,
    )
    .await;
    assert_eq!(basis[0], "recently-viewed", "{basis}");
    assert_ne!(viewed, guest);
}

#[tokio::test]
async fn a_new_order_changes_the_rail_at_once_and_the_cart_gets_what_goes_with_it() {
    let shop = shop();
    let query = "intent=for-you&customer_id=c-1002&limit=6";
    let (before, _) = rail(&shop, query, Some(("c-1002", &sig("c-1002")))).await;
    // Six shoppers buy the scarf with the headband; then Mart buys the scarf, each order
    // reported through the order API as any shop's backend reports it.
    let programme = common::with_conn(&shop.db, |conn| {
        shop_api::programme::load(conn).map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
    });
    for n in 0..6 {
        let report = shop_api::orders::OrderReport {
            id: format!("scarf-{n}"),
            number: None,
            customer_id: Some(format!("k-{n}")),
            email: None,
            first_name: None,
            currency: "NOK".into(),
            subtotal: 79800,
            status: "paid".into(),
            refunded: 0,
            lines: vec![
                shop_api::orders::OrderLine {
                    product_id: "p-skjerf".into(),
                    quantity: 1,
                },
                shop_api::orders::OrderLine {
                    product_id: "p-pannebaand".into(),
                    quantity: 1,
                },
            ],
        };
        let state = report.into_state().unwrap();
        let programme = programme.clone();
        common::with_conn(&shop.db, move |conn| {
            shop_api::orders::apply(conn, &programme, &state, shop_api::calendar::now())
                .map(drop)
                .map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
        });
    }
    let report = shop_api::orders::OrderReport {
        id: "mart-scarf".into(),
        number: None,
        customer_id: Some("c-1002".into()),
        email: None,
        first_name: None,
        currency: "NOK".into(),
        subtotal: 59900,
        status: "paid".into(),
        refunded: 0,
        lines: vec![shop_api::orders::OrderLine {
            product_id: "p-skjerf".into(),
            quantity: 1,
        }],
    };
    let state = report.into_state().unwrap();
    common::with_conn(&shop.db, move |conn| {
        shop_api::orders::apply(conn, &programme, &state, shop_api::calendar::now())
            .map(drop)
            .map_err(|e| shop_api::db::DbError::Task(format!("{e:?}")))
    });
    let (after, _) = rail(&shop, query, Some(("c-1002", &sig("c-1002")))).await;
    assert_ne!(after, before);
    assert!(after.contains(&"p-pannebaand".to_owned()), "{after:?}");
    assert!(!after.contains(&"p-skjerf".to_owned()), "just bought");
    let (cart, basis) = rail(&shop, "intent=cart&product_ids=p-skjerf&limit=4", None).await;
    assert!(
        cart.contains(&"p-pannebaand".to_owned()),
        "{cart:?} {basis}"
    );
    assert!(!cart.contains(&"p-skjerf".to_owned()));
}

#[tokio::test]
async fn a_storefront_url_makes_product_links_absolute_on_the_shops_own_host() {
    let dir = TempDir::new().unwrap();
    let db = common::test_db(dir.path());
    let state = AppState {
        storefront_url: Some("https://www.nordlys.example".into()),
        ..AppState::new(db, ShopSecret::new("test-secret"))
    };
    let shop = Shop {
        router: app(state, &Options::default()),
        db: common::test_db(&dir.path().join("unused")),
        _dir: dir,
    };
    let (status, body) = shop
        .get("/api/v1/recommendations?intent=popular&limit=2")
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = body["products"][0]["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://www.nordlys.example/product.html?id="),
        "{url}"
    );
    let (_, product) = shop.get("/api/v1/products/p-marius").await;
    assert_eq!(
        product["url"],
        "https://www.nordlys.example/product.html?id=p-marius"
    );
    assert!(shop_api::catalog::parse_storefront("javascript:alert(1)").is_err());
    assert!(shop_api::catalog::parse_storefront("/shop").is_err());
    assert_eq!(
        shop_api::catalog::parse_storefront(" https://www.nordlys.example/ ").unwrap(),
        "https://www.nordlys.example"
    );
}
