//! Orders over HTTP: each kind through its life with auto-approval off and on, the
//! provisioning queue (halt, resubmit, activate) of a retailer and of its wholesaler,
//! concurrent decisions and the last number, and isolation on every endpoint.

use crate::common::usage_fixture::{
    Cast, Fixture, LANDLINE, SPARE, cast, fixture_for, invite_limited_staff,
};
use crate::common::{ALL, Auth, Reply, STAFF_PASSWORD, World};
use axum::http::StatusCode;
use selfcare::domain::settings::Module;
use selfcare::domain::tenancy::{NewTenant, Tenant, TenantKind};
use selfcare::ports::Clock;
use selfcare::store::Stamp;
use serde_json::{Value as Json, json};

/// Acme (a retailer buying through the wholesaler Wisp) with the usage fixture's account,
/// services and catalogue, number ordering and E911 turned on, the isolation cast, and
/// the staff of Wisp (wanda) and of another wholesaler (otto).
struct Shop {
    f: Fixture,
    c: Cast,
    wisp: Tenant,
    sam_account: String,
}

async fn shop() -> Shop {
    shop_on(World::new().await).await
}

async fn shop_on(w: World) -> Shop {
    let tenants = w.platform.tenants();
    let wholesaler = |slug: &'static str| NewTenant {
        kind: TenantKind::Wholesale,
        name: format!("{slug} Wholesale"),
        slug: slug.into(),
        wholesaler: None,
    };
    let wisp = tenants.create(wholesaler("wisp")).await.unwrap();
    let other = tenants.create(wholesaler("otherwsp")).await.unwrap();
    let acme = tenants
        .create(NewTenant {
            kind: TenantKind::Retail,
            name: "acme Telecom".into(),
            slug: "acme".into(),
            wholesaler: Some(wisp.id),
        })
        .await
        .unwrap();
    let f = fixture_for(w, acme).await;
    let settings_service = f.w.platform.settings();
    let mut access = settings_service.get(&f.tenant.id).await.unwrap();
    access.modules.insert(Module::NumberOrdering);
    access.modules.insert(Module::E911);
    settings_service
        .set(&f.tenant.id, access, &Stamp::none())
        .await
        .unwrap();
    let c = cast(&f).await;
    f.w.staff(&wisp, "wanda", ALL).await;
    f.w.staff(&other, "otto", ALL).await;
    let sam_account = f.account.to_string();
    Shop {
        f,
        c,
        wisp,
        sam_account,
    }
}

impl Shop {
    /// Moves the clock a second, so orders and steps have distinct times.
    fn tick(&self) {
        self.f.w.clock.advance(time::Duration::seconds(1));
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        tenant: &str,
        token: &str,
        body: Option<Json>,
    ) -> Reply {
        self.f
            .w
            .call(method, uri, tenant, Auth::Bearer(token), body)
            .await
    }

    async fn order(&self, token: &str, request: Json) -> Reply {
        self.tick();
        self.call(
            "POST",
            "/v1/portal/orders",
            "acme",
            token,
            Some(json!({ "request": request })),
        )
        .await
    }

    async fn placed(&self, token: &str, request: Json) -> Json {
        let reply = self.order(token, request).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body
    }

    /// A staff step on Sam's order (`approve`, `reject`, `undo-rejection`).
    async fn decide(&self, order: &Json, step: &str, body: Option<Json>) -> Reply {
        self.tick();
        let uri = format!(
            "/v1/console/accounts/{}/orders/{}/{step}",
            self.sam_account,
            order["id"].as_str().unwrap()
        );
        self.call("POST", &uri, "acme", &self.c.boss, body).await
    }

    fn queue_path(&self, order: &Json) -> String {
        format!(
            "/v1/console/provisioning/{}/{}/{}",
            order["provider"].as_str().unwrap(),
            order["account"]["id"].as_str().unwrap(),
            order["id"].as_str().unwrap()
        )
    }

    async fn settings(&self, settings: Json) {
        let reply = self
            .call(
                "PUT",
                "/v1/console/settings/orders",
                "acme",
                &self.c.boss,
                Some(settings),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }

    async fn service(&self, identifier: &str) -> Json {
        let reply = self
            .call("GET", "/v1/portal/services", "acme", &self.c.sam, None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["identifier"] == identifier)
            .cloned()
            .unwrap_or(Json::Null)
    }

    async fn portal_order(&self, order: &Json) -> Json {
        let uri = format!("/v1/portal/orders/{}", order["id"].as_str().unwrap());
        let reply = self.call("GET", &uri, "acme", &self.c.sam, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body
    }

    async fn ids(&self, uri: &str, tenant: &str, token: &str) -> Vec<String> {
        let reply = self.call("GET", uri, tenant, token, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.text);
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                o["id"]
                    .as_str()
                    .or(o["number"].as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

fn id(order: &Json) -> String {
    order["id"].as_str().unwrap().to_owned()
}

fn events(order: &Json) -> Vec<String> {
    order["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

/// Subscribing the spare service to the 5-minute bolt-on, or cancelling it.
fn bolt_on(s: &Shop, kind: &str, spare: &Json) -> Json {
    json!({"kind": kind, "service": spare["id"], "bolt_on": s.f.bolt_on.to_string()})
}

/// Acme's order desk at orders@acme.example, no automatic approval, and Sam's order for the
/// bolt-on on the spare service, waiting: the shop, the spare service and the order.
async fn bolt_on_waiting() -> (Shop, Json, Json) {
    let s = shop().await;
    s.settings(json!({"alert_email": "orders@acme.example"}))
        .await;
    let spare = s.service(SPARE).await;
    let order = s
        .placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    (s, spare, order)
}

fn bolt_ons(service: &Json) -> Json {
    service["bolt_ons"].clone()
}

#[tokio::test]
async fn a_bolt_on_order_waits_and_the_customer_and_the_order_desk_are_told() {
    let (s, _, order) = bolt_on_waiting().await;
    assert_eq!(order["state"], "pending");
    assert_eq!(order["summary"], "Bolt-on 5 minutes on +61 2 5550 1235");
    assert_eq!(
        order["price"],
        json!({"monthly_minor": 300, "currency": "AUD"}),
        "staff approve the price the customer agreed to"
    );
    let reference = order["reference"].as_str().unwrap();
    let order_id = id(&order);
    assert_eq!(reference, format!("O-{}", &order_id[16..]));
    let told = s.f.w.mail("sam@example.com", "order-submitted").await;
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains(reference) && told[0].contains(&format!("/orders/{order_id}")),
        "the customer's mail gives the reference and links to the order's page: {}",
        told[0]
    );
    let desk = s.f.w.mail("orders@acme.example", "order-received").await;
    assert_eq!(desk.len(), 1);
    assert!(
        desk[0].contains("Sam Lee") && desk[0].contains("waits for approval"),
        "{}",
        desk[0]
    );
    assert_eq!(
        s.ids("/v1/console/orders/pending", "acme", &s.c.boss).await,
        vec![id(&order)]
    );
    assert_eq!(bolt_ons(&s.service(SPARE).await), json!([]));
}

#[tokio::test]
async fn an_order_reads_in_each_readers_language_on_pages_and_in_mail() {
    let s = shop().await;
    let spare = s.service(SPARE).await;
    let chose = s
        .call(
            "PUT",
            "/v1/auth/language",
            "acme",
            &s.c.sam,
            Some(json!({"language": "fr"})),
        )
        .await;
    assert_eq!(chose.status, StatusCode::NO_CONTENT);
    let order = s
        .placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_eq!(order["summary"], "Option 5 minutes sur +61 2 5550 1235");
    let page = s
        .call(
            "GET",
            &format!("/v1/portal/orders/{}", id(&order)),
            "acme",
            &s.c.sam,
            None,
        )
        .await;
    assert_eq!(page.body["summary"], "Option 5 minutes sur +61 2 5550 1235");
    let told = s.f.w.mail("sam@example.com", "order-submitted").await;
    assert!(
        told[0].contains("Option 5 minutes sur +61 2 5550 1235"),
        "the customer's mail is in its login's language throughout: {}",
        told[0]
    );
    // Staff read the same order in their own language.
    let staff_view = s
        .call(
            "GET",
            &format!(
                "/v1/console/accounts/{}/orders/{}",
                s.sam_account,
                id(&order)
            ),
            "acme",
            &s.c.boss,
            None,
        )
        .await;
    assert_eq!(
        staff_view.body["summary"],
        "Bolt-on 5 minutes on +61 2 5550 1235"
    );
}

#[tokio::test]
async fn the_same_order_again_while_the_first_waits_is_refused_with_the_first() {
    let (s, spare, order) = bolt_on_waiting().await;
    // A second click, or another login of the account: the same request.
    let again = s
        .order(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert_eq!(again.body["type"], "/problems/order-already-open");
    assert_eq!(again.body["existing"], order["id"]);
    assert_eq!(
        s.ids("/v1/console/orders/pending", "acme", &s.c.boss).await,
        vec![id(&order)],
        "one order waits"
    );
    // Once it is decided (here rejected), the same request may be placed again.
    let rejected = s
        .decide(&order, "reject", Some(json!({"reason": "Not this month"})))
        .await;
    assert_eq!(rejected.body["state"], "rejected", "{}", rejected.text);
    let second = s
        .placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_ne!(second["id"], order["id"]);
    // Undoing the first one's rejection now would make two identical open orders.
    let undo = s.decide(&order, "undo-rejection", None).await;
    assert_eq!(undo.status, StatusCode::CONFLICT, "{}", undo.text);
    assert_eq!(undo.body["type"], "/problems/order-already-open");
    assert_eq!(undo.body["existing"], second["id"]);
    // Once the second is decided, the first can come back, and holds the claim again.
    let rejected = s
        .decide(
            &second,
            "reject",
            Some(json!({"reason": "Not this month either"})),
        )
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    let undone = s.decide(&order, "undo-rejection", None).await;
    assert_eq!(undone.body["state"], "pending", "{}", undone.text);
    let third = s
        .order(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_eq!(third.status, StatusCode::CONFLICT);
    assert_eq!(third.body["existing"], order["id"]);
}

#[tokio::test]
async fn a_customer_withdraws_a_waiting_order_once_and_may_order_the_same_again() {
    let (s, spare, order) = bolt_on_waiting().await;
    let path = format!("/v1/portal/orders/{}/withdraw", id(&order));
    // Another account of the provider, and another provider's customer, reach nothing.
    for (tenant, token) in [("acme", s.c.kim.as_str()), ("bluewave", s.c.lee.as_str())] {
        let reply = s.call("POST", &path, tenant, token, None).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{tenant}: {}",
            reply.text
        );
    }
    s.tick();
    let withdrawn = s.call("POST", &path, "acme", &s.c.sam, None).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text);
    assert_eq!(withdrawn.body["state"], "withdrawn");
    assert_eq!(events(&withdrawn.body), ["submitted", "withdrawn"]);
    assert!(
        s.ids("/v1/console/orders/pending", "acme", &s.c.boss)
            .await
            .is_empty(),
        "no longer waits for staff"
    );
    let again = s.call("POST", &path, "acme", &s.c.sam, None).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    let approve = s.decide(&order, "approve", None).await;
    assert_eq!(
        approve.status,
        StatusCode::CONFLICT,
        "staff cannot approve it now"
    );
    assert_eq!(bolt_ons(&s.service(SPARE).await), json!([]));
    let second = s
        .placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_eq!(second["state"], "pending");
}

#[tokio::test]
async fn an_approved_bolt_on_is_attached_the_customer_told_and_the_order_in_the_history() {
    let (s, spare, order) = bolt_on_waiting().await;
    let approved = s.decide(&order, "approve", None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.body["state"], "completed");
    assert_eq!(
        events(&approved.body),
        ["submitted", "approved", "completed"]
    );
    assert_eq!(approved.body["events"][1]["actor"]["username"], "boss");
    assert_eq!(approved.body["service"], spare["id"]);
    let service = s.service(SPARE).await;
    assert_eq!(bolt_ons(&service), json!([s.f.bolt_on.to_string()]));
    assert_eq!(service["plan_name"], "Talk 20");
    assert_eq!(
        service["price"],
        json!({"monthly_minor": 2_300, "currency": "AUD"}),
        "the plan and its bolt-on, a month"
    );
    assert_eq!(
        service["allowances"],
        json!([{"usage": "call", "quantity": 300}]),
        "what the bolt-on includes each month"
    );
    assert_eq!(
        s.f.w.mail("sam@example.com", "order-completed").await.len(),
        1
    );
    assert!(
        s.ids("/v1/console/orders/pending", "acme", &s.c.boss)
            .await
            .is_empty()
    );
    assert_eq!(
        s.ids("/v1/console/orders/history", "acme", &s.c.boss).await,
        vec![id(&order)]
    );
}

#[tokio::test]
async fn the_customer_sees_who_decided_by_role_only() {
    let (s, _, order) = bolt_on_waiting().await;
    s.decide(&order, "approve", None).await;
    let seen = s.portal_order(&order).await;
    assert_eq!(seen["events"][1]["actor"]["kind"], "staff");
    assert!(seen["events"][1]["actor"]["username"].is_null());
}

#[tokio::test]
async fn approving_twice_is_a_conflict_and_ordering_what_the_service_has_is_refused() {
    let (s, spare, order) = bolt_on_waiting().await;
    s.decide(&order, "approve", None).await;
    let again = s.decide(&order, "approve", None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["type"], "/problems/order-state");
    assert_eq!(
        s.order(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        bolt_ons(&s.service(SPARE).await),
        json!([s.f.bolt_on.to_string()]),
        "one bolt-on, not two"
    );
}

#[tokio::test]
async fn a_rejection_needs_a_reason_the_customer_reads_and_can_be_undone() {
    let (s, spare, order) = bolt_on_waiting().await;
    s.decide(&order, "approve", None).await;
    let order = s
        .placed(&s.c.sam, bolt_on(&s, "cancel_bolt_on", &spare))
        .await;
    let no_reason = s
        .decide(&order, "reject", Some(json!({"reason": "  "})))
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rejected = s
        .decide(
            &order,
            "reject",
            Some(json!({"reason": "Cancel by phone: 12-month term"})),
        )
        .await;
    assert_eq!(rejected.body["state"], "rejected", "{}", rejected.text);
    let mail = s.f.w.mail("sam@example.com", "order-rejected").await;
    assert!(
        mail[0].contains("Cancel by phone: 12-month term"),
        "{}",
        mail[0]
    );
    assert_eq!(
        s.portal_order(&order).await["reason"],
        "Cancel by phone: 12-month term"
    );
    let undone = s.decide(&order, "undo-rejection", None).await;
    assert_eq!(undone.body["state"], "pending", "{}", undone.text);
    assert!(undone.body["reason"].is_null());
    assert_eq!(
        s.ids("/v1/console/orders/pending", "acme", &s.c.boss).await,
        vec![id(&order)]
    );
    let approved = s.decide(&order, "approve", None).await;
    assert_eq!(approved.body["state"], "completed", "{}", approved.text);
    assert_eq!(
        events(&approved.body),
        [
            "submitted",
            "rejected",
            "rejection_undone",
            "approved",
            "completed"
        ]
    );
    assert_eq!(bolt_ons(&s.service(SPARE).await), json!([]));
}

#[tokio::test]
async fn bolt_ons_up_to_the_price_limit_and_cancellations_complete_at_once_when_set() {
    let s = shop().await;
    s.settings(
        json!({"auto_approve": {"bolt_ons_up_to_minor": 300, "bolt_on_cancellations": true},
        "alert_email": "orders@acme.example"}),
    )
    .await;
    let spare = s.service(SPARE).await;
    let order = s
        .placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_eq!(order["state"], "completed");
    assert_eq!(order["events"][1]["actor"]["kind"], "automatic");
    assert_eq!(
        bolt_ons(&s.service(SPARE).await),
        json!([s.f.bolt_on.to_string()])
    );
    assert!(
        s.ids("/v1/console/orders/pending", "acme", &s.c.boss)
            .await
            .is_empty()
    );
    assert_eq!(
        s.f.w.mail("sam@example.com", "order-completed").await.len(),
        1
    );
    let desk = s.f.w.mail("orders@acme.example", "order-received").await;
    assert!(desk.last().unwrap().contains("approved automatically"));
    let order = s
        .placed(&s.c.sam, bolt_on(&s, "cancel_bolt_on", &spare))
        .await;
    assert_eq!(order["state"], "completed");
    assert_eq!(bolt_ons(&s.service(SPARE).await), json!([]));
}

#[tokio::test]
async fn a_bolt_on_over_the_price_limit_waits() {
    let s = shop().await;
    s.settings(json!({"auto_approve": {"bolt_ons_up_to_minor": 299}}))
        .await;
    let spare = s.service(SPARE).await;
    let order = s
        .placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    assert_eq!(order["state"], "pending");
}

#[tokio::test]
async fn numbers_are_searched_reserved_then_assigned_or_released() {
    let s = shop().await;
    let add = |tier: &str, numbers: Json| json!({"area": "02", "tier": tier, "numbers": numbers});
    let added = s
        .call(
            "POST",
            "/v1/console/numbers",
            "acme",
            &s.c.boss,
            Some(add("standard", json!(["+61 2 5550 7001", "+61255507002"]))),
        )
        .await;
    assert_eq!(
        added.body["added"],
        json!(["+61255507001", "+61255507002"]),
        "{}",
        added.text
    );
    let again = s
        .call(
            "POST",
            "/v1/console/numbers",
            "acme",
            &s.c.boss,
            Some(add("standard", json!(["+61255507001"]))),
        )
        .await;
    assert_eq!(again.body["added"], json!([]));
    // A number that is already a service is not inventory.
    let taken = s
        .call(
            "POST",
            "/v1/console/numbers",
            "acme",
            &s.c.boss,
            Some(add("gold", json!([LANDLINE, "+61255507777"]))),
        )
        .await;
    assert_eq!(taken.body["added"], json!(["+61255507777"]));
    let bad = s
        .call(
            "POST",
            "/v1/console/numbers",
            "acme",
            &s.c.boss,
            Some(add("gold", json!(["12"]))),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Customers see only the tiers the provider offers them (standard by default).
    let search = "/v1/portal/numbers?area=02";
    assert_eq!(
        s.ids(search, "acme", &s.c.sam).await,
        ["+61255507001", "+61255507002"]
    );
    assert!(
        s.ids("/v1/portal/numbers?area=02&tier=gold", "acme", &s.c.sam)
            .await
            .is_empty()
    );
    let plan = s.f.plan.to_string();
    let gold = s
        .order(
            &s.c.sam,
            json!({"kind": "number", "number": "+61255507777", "plan": plan}),
        )
        .await;
    assert_eq!(gold.status, StatusCode::CONFLICT);
    assert_eq!(gold.body["type"], "/problems/number-unavailable");

    // Ordering reserves the number: gone from the search, refused to anyone else.
    let order = s
        .placed(
            &s.c.sam,
            json!({"kind": "number", "number": "+61255507001", "plan": plan}),
        )
        .await;
    assert_eq!(order["state"], "pending");
    assert_eq!(s.ids(search, "acme", &s.c.sam).await, ["+61255507002"]);
    let kim = s
        .order(
            &s.c.kim,
            json!({"kind": "number", "number": "+61255507001", "plan": plan}),
        )
        .await;
    assert_eq!(kim.status, StatusCode::CONFLICT, "{}", kim.text);

    // Rejected: back in the inventory; the undo takes it again.
    s.decide(
        &order,
        "reject",
        Some(json!({"reason": "Numbers need a site visit"})),
    )
    .await;
    assert_eq!(
        s.ids(search, "acme", &s.c.sam).await,
        ["+61255507001", "+61255507002"]
    );
    let undone = s.decide(&order, "undo-rejection", None).await;
    assert_eq!(undone.body["state"], "pending", "{}", undone.text);
    assert_eq!(s.ids(search, "acme", &s.c.sam).await, ["+61255507002"]);

    // Approved: a new active voice service; the number has left the inventory.
    let approved = s.decide(&order, "approve", None).await;
    assert_eq!(approved.body["state"], "completed", "{}", approved.text);
    let service = s.service("+61255507001").await;
    assert_eq!(service["status"], "active");
    assert_eq!(service["plan"], plan);
    assert_eq!(approved.body["service"], service["id"]);
    assert_eq!(
        s.ids("/v1/console/numbers?area=02", "acme", &s.c.boss)
            .await,
        ["+61255507777", "+61255507002"],
        "by tier, then number"
    );

    // With number ordering off, neither the search nor the order is offered.
    s.settings(json!({"number_ordering": false})).await;
    let off = s.call("GET", search, "acme", &s.c.sam, None).await;
    assert_eq!(off.status, StatusCode::FORBIDDEN);
    assert_eq!(off.body["type"], "/problems/order-not-offered");
    let off = s
        .order(
            &s.c.sam,
            json!({"kind": "number", "number": "+61255507002", "plan": plan}),
        )
        .await;
    assert_eq!(off.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn number_features_and_emergency_addresses_follow_the_settings() {
    let s = shop().await;
    let landline = s.service(LANDLINE).await;
    let features =
        |f: Json| json!({"kind": "number_features", "service": landline["id"], "features": f});

    let order = s
        .placed(&s.c.sam, features(json!({"forward_to": "+61 2 5550 9999"})))
        .await;
    assert_eq!(order["state"], "pending");
    assert_eq!(
        order["summary"],
        "Change call forwarding on +61 2 5550 1234"
    );
    s.decide(&order, "approve", None).await;
    assert_eq!(
        s.service(LANDLINE).await["features"]["forward_to"],
        "+61255509999"
    );

    // Forwarding approved at once; conference not editable; caller id waits.
    s.settings(json!({"auto_approve": {"call_forwarding": true},
        "editable_features": ["call_forwarding", "failover", "caller_id_name"]}))
        .await;
    let order = s
        .placed(&s.c.sam, features(json!({"forward_to": "+61255508888"})))
        .await;
    assert_eq!(order["state"], "completed");
    assert_eq!(
        s.service(LANDLINE).await["features"]["forward_to"],
        "+61255508888"
    );
    let conference = s
        .order(
            &s.c.sam,
            features(json!({"forward_to": "+61255508888", "conference": true})),
        )
        .await;
    assert_eq!(conference.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        conference.body["errors"][0]["field"],
        "/request/features/conference"
    );
    let same = s
        .order(&s.c.sam, features(json!({"forward_to": "+61255508888"})))
        .await;
    assert_eq!(
        same.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing changes"
    );
    let bad = s
        .order(&s.c.sam, features(json!({"forward_to": "call me"})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = s.order(&s.c.sam, features(json!({"teleport": true}))).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    let mut priced = features(json!({"forward_to": "+61255508888"}));
    priced["price"] = json!(0);
    let unknown = s.order(&s.c.sam, priced).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    let order = s
        .placed(
            &s.c.sam,
            features(json!({"forward_to": "+61255508888", "caller_id_name": "ACME DESK"})),
        )
        .await;
    assert_eq!(order["state"], "pending");

    // E911: waits, then at once when the provider says so; off, not offered.
    let address = json!({"kind": "emergency_address", "service": landline["id"], "address": {
        "name": "Sam Lee", "street": "1 George St", "location": "Level 3", "city": "Sydney",
        "region": "NSW", "postcode": "2000", "country": "au"}});
    // Only where it applies: E911 is North America's by default, and this is an
    // Australian number.
    let elsewhere = s.order(&s.c.sam, address.clone()).await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        elsewhere.text
    );
    assert_eq!(
        elsewhere.body["errors"][0]["field"], "/request/service",
        "{}",
        elsewhere.text
    );
    assert_eq!(s.service(LANDLINE).await["country"], "AU");
    let offer = s
        .call("GET", "/v1/portal/orders/settings", "acme", &s.c.sam, None)
        .await;
    assert_eq!(
        offer.body["emergency_address_countries"],
        json!(["CA", "US"])
    );
    s.settings(json!({"emergency_address_countries": ["AU", "CA", "US"]}))
        .await;
    let order = s.placed(&s.c.sam, address.clone()).await;
    assert_eq!(order["state"], "pending");
    s.decide(&order, "approve", None).await;
    let stored = &s.service(LANDLINE).await["emergency_address"];
    assert_eq!(
        (stored["city"].as_str(), stored["country"].as_str()),
        (Some("Sydney"), Some("AU"))
    );
    s.settings(json!({"auto_approve": {"emergency_address": true},
                      "emergency_address_countries": ["AU"]}))
        .await;
    assert_eq!(
        s.placed(&s.c.sam, address.clone()).await["state"],
        "completed"
    );
    s.settings(json!({"emergency_addresses": false})).await;
    assert_eq!(
        s.order(&s.c.sam, address).await.status,
        StatusCode::FORBIDDEN
    );
}

/// A port-in of +61255506000 from Telstra, with the losing carrier's account number.
fn port_in(s: &Shop, carrier_account: &str) -> Json {
    json!({"kind": "port_in", "number": "+61255506000", "plan": s.f.plan.to_string(),
        "losing_carrier": "Telstra", "carrier_account": carrier_account,
        "authorised_by": "Sam Lee"})
}

/// Sam's port-in, approved, in acme's manual-provisioning queue: the shop, the order as
/// placed and the order's path in the queue.
async fn port_in_the_queue() -> (Shop, Json, String) {
    let s = shop().await;
    let order = s.placed(&s.c.sam, port_in(&s, "123")).await;
    let approved = s.decide(&order, "approve", None).await;
    assert_eq!(approved.body["state"], "provisioning", "{}", approved.text);
    let path = s.queue_path(&approved.body);
    (s, order, path)
}

/// Halts the order at `path` because the carrier account does not match.
async fn halt(s: &Shop, path: &str) -> Reply {
    s.tick();
    s.call(
        "POST",
        &format!("{path}/halt"),
        "acme",
        &s.c.boss,
        Some(json!({"reason": "The Telstra account number does not match"})),
    )
    .await
}

async fn resubmit(s: &Shop, order: &Json, request: Json) -> Reply {
    s.call(
        "POST",
        &format!("/v1/portal/orders/{}/resubmit", id(order)),
        "acme",
        &s.c.sam,
        Some(json!({ "request": request })),
    )
    .await
}

async fn activate(s: &Shop, path: &str, body: Json) -> Reply {
    s.call(
        "POST",
        &format!("{path}/activate"),
        "acme",
        &s.c.boss,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_port_needs_hands_and_once_approved_waits_in_the_providers_queue() {
    let s = shop().await;
    let order = s.placed(&s.c.sam, port_in(&s, "123")).await;
    assert_eq!(
        (order["state"].as_str(), order["needs_hands"].as_bool()),
        (Some("pending"), Some(true))
    );
    let approved = s.decide(&order, "approve", None).await;
    assert_eq!(approved.body["state"], "provisioning", "{}", approved.text);
    assert_eq!(approved.body["wholesale"], false);
    assert_eq!(approved.body["price"]["monthly_minor"], 2_000);
    assert_eq!(approved.body["request"]["carrier_account"], "123");
    assert_eq!(
        s.f.w.mail("sam@example.com", "order-approved").await.len(),
        1
    );
    assert_eq!(
        s.ids("/v1/console/provisioning", "acme", &s.c.boss).await,
        vec![id(&order)]
    );
}

#[tokio::test]
async fn staff_progress_reaches_the_customer_and_internal_notes_do_not() {
    let (s, order, path) = port_in_the_queue().await;
    let details = s
        .call(
            "PATCH",
            &path,
            "acme",
            &s.c.boss,
            Some(
                json!({"stage": "confirmed", "reference": "PORT-77", "expected_on": "2036-12-01",
                "note": "rang Telstra"}),
            ),
        )
        .await;
    assert_eq!(details.status, StatusCode::OK, "{}", details.text);
    let seen = s.portal_order(&order).await;
    assert_eq!(seen["provisioning"]["reference"], "PORT-77");
    assert_eq!(seen["provisioning"]["stage"], "confirmed");
    assert_eq!(seen["provisioning"]["expected_on"], "2036-12-01");
    assert!(
        seen["provisioning"]["note"].is_null(),
        "internal notes stay internal"
    );
}

#[tokio::test]
async fn a_halted_port_tells_the_customer_why_and_stays_in_the_queue_unactivatable() {
    let (s, order, path) = port_in_the_queue().await;
    let halted = halt(&s, &path).await;
    assert_eq!(
        halted.body["state"], "provisioning_halted",
        "{}",
        halted.text
    );
    let seen = s.portal_order(&order).await;
    assert_eq!(seen["state"], "provisioning_halted");
    assert_eq!(seen["reason"], "The Telstra account number does not match");
    let mail = s.f.w.mail("sam@example.com", "order-halted").await;
    assert!(mail[0].contains("does not match"), "{}", mail[0]);
    assert_eq!(
        s.ids("/v1/console/provisioning", "acme", &s.c.boss).await,
        vec![id(&order)]
    );
    let early = activate(&s, &path, json!({})).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_halted_port_is_resubmitted_changed_but_not_as_another_kind() {
    let (s, order, path) = port_in_the_queue().await;
    halt(&s, &path).await;
    let other_kind = resubmit(
        &s,
        &order,
        json!({"kind": "new_service", "plan": s.f.plan.to_string()}),
    )
    .await;
    assert_eq!(other_kind.status, StatusCode::UNPROCESSABLE_ENTITY);
    s.tick();
    let resubmitted = resubmit(&s, &order, port_in(&s, "456")).await;
    assert_eq!(
        resubmitted.body["state"], "provisioning",
        "{}",
        resubmitted.text
    );
    assert_eq!(resubmitted.body["request"]["carrier_account"], "456");
    assert!(resubmitted.body["reason"].is_null());
}

#[tokio::test]
async fn an_activated_port_is_a_live_service_from_that_moment_and_the_customer_is_told() {
    let (s, order, path) = port_in_the_queue().await;
    s.call(
        "PATCH",
        &path,
        "acme",
        &s.c.boss,
        Some(json!({"stage": "confirmed", "reference": "PORT-77"})),
    )
    .await;
    halt(&s, &path).await;
    s.tick();
    resubmit(&s, &order, port_in(&s, "456")).await;
    s.tick();
    let activated = activate(&s, &path, json!({})).await;
    assert_eq!(activated.body["state"], "completed", "{}", activated.text);
    assert_eq!(
        events(&activated.body),
        [
            "submitted",
            "approved",
            "provisioning_started",
            "details_updated",
            "halted",
            "resubmitted",
            "completed"
        ]
    );
    let service = s.service("+61255506000").await;
    assert_eq!(service["status"], "active");
    let started = time::OffsetDateTime::parse(
        service["started_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        started.unix_timestamp(),
        s.f.w.clock.now().unix_timestamp(),
        "billing starts at activation"
    );
    assert_eq!(
        s.f.w.mail("sam@example.com", "order-completed").await.len(),
        1
    );
    assert!(
        s.ids("/v1/console/provisioning", "acme", &s.c.boss)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_new_service_needs_a_free_identifier_at_activation() {
    let s = shop().await;
    let order = s
        .placed(
            &s.c.sam,
            json!({"kind": "new_service", "plan": s.f.plan.to_string(),
                   "site_address": "1 George St"}),
        )
        .await;
    let approved = s.decide(&order, "approve", None).await;
    let path = s.queue_path(&approved.body);
    let missing = activate(&s, &path, json!({})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let taken = activate(&s, &path, json!({"identifier": LANDLINE})).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let done = activate(&s, &path, json!({"identifier": "NBN-12345"})).await;
    assert_eq!(done.body["state"], "completed", "{}", done.text);
    assert_eq!(s.service("NBN-12345").await["status"], "active");
}

#[tokio::test]
async fn a_wholesale_order_is_in_its_wholesalers_queue_and_no_one_elses() {
    let s = shop().await;
    s.settings(json!({"wholesaler_provisions": ["port_in"]}))
        .await;
    let order = s
        .placed(
            &s.c.sam,
            json!({"kind": "port_in", "number": "+61255506001",
            "plan": s.f.plan.to_string(), "losing_carrier": "Optus", "carrier_account": "9",
            "authorised_by": "Sam Lee"}),
        )
        .await;
    let approved = s.decide(&order, "approve", None).await;
    assert_eq!(approved.body["state"], "provisioning");
    assert_eq!(approved.body["wholesale"], true);
    let path = s.queue_path(&approved.body);

    let wanda = s.f.w.token("wisp", "wanda", STAFF_PASSWORD).await;
    let otto = s.f.w.token("otherwsp", "otto", STAFF_PASSWORD).await;
    assert_eq!(
        s.ids("/v1/console/provisioning", "wisp", &wanda).await,
        vec![id(&order)]
    );
    assert!(
        s.ids("/v1/console/provisioning", "otherwsp", &otto)
            .await
            .is_empty()
    );
    assert!(
        s.ids("/v1/console/provisioning", "acme", &s.c.boss)
            .await
            .is_empty()
    );
    for (tenant, token) in [
        ("otherwsp", otto.as_str()),
        ("acme", s.c.boss.as_str()),
        ("bluewave", s.c.rival.as_str()),
    ] {
        for (method, suffix) in [("GET", ""), ("PATCH", ""), ("POST", "/activate")] {
            let reply = s
                .call(
                    method,
                    &format!("{path}{suffix}"),
                    tenant,
                    token,
                    (method != "GET").then(|| json!({})),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::NOT_FOUND,
                "{tenant} {method}{suffix}: {}",
                reply.text
            );
        }
        let halt = s
            .call(
                "POST",
                &format!("{path}/halt"),
                tenant,
                token,
                Some(json!({"reason": "no"})),
            )
            .await;
        assert_eq!(halt.status, StatusCode::NOT_FOUND);
    }

    // The wholesaler halts and activates; the customer follows it.
    s.tick();
    let halted = s
        .call(
            "POST",
            &format!("{path}/halt"),
            "wisp",
            &wanda,
            Some(json!({"reason": "Send a recent Optus bill"})),
        )
        .await;
    assert_eq!(
        halted.body["state"], "provisioning_halted",
        "{}",
        halted.text
    );
    assert_eq!(halted.body["events"][3]["actor"]["kind"], "wholesaler");
    let seen = s.portal_order(&order).await;
    assert_eq!(seen["reason"], "Send a recent Optus bill");
    s.tick();
    let resubmit = format!("/v1/portal/orders/{}/resubmit", id(&order));
    assert_eq!(
        s.call("POST", &resubmit, "acme", &s.c.sam, Some(json!({})))
            .await
            .status,
        StatusCode::OK
    );
    s.tick();
    let done = s
        .call(
            "POST",
            &format!("{path}/activate"),
            "wisp",
            &wanda,
            Some(json!({})),
        )
        .await;
    assert_eq!(done.body["state"], "completed", "{}", done.text);
    assert_eq!(s.service("+61255506001").await["status"], "active");
    let _ = &s.wisp;
}

#[tokio::test]
async fn twenty_staff_deciding_one_order_at_once_take_exactly_one_step() {
    twenty_staff_deciding_one_order_at_once_take_exactly_one_step_on(World::new().await).await;
}

/// The same on DynamoDB: the conditions that make it so are the AWS adapter's too.
#[tokio::test]
async fn twenty_staff_deciding_one_order_at_once_take_exactly_one_step_on_dynamodb() {
    twenty_staff_deciding_one_order_at_once_take_exactly_one_step_on(World::on_dynamodb().await)
        .await;
}

async fn twenty_staff_deciding_one_order_at_once_take_exactly_one_step_on(w: World) {
    let s = shop_on(w).await;
    let s = &s;
    let spare = s.service(SPARE).await;
    let order = s
        .placed(
            &s.c.sam,
            json!({"kind": "subscribe_bolt_on", "service": spare["id"],
            "bolt_on": s.f.bolt_on.to_string()}),
        )
        .await;
    let uri = |step: &str| {
        format!(
            "/v1/console/accounts/{}/orders/{}/{step}",
            s.sam_account,
            id(&order)
        )
    };
    let calls = (0..20).map(|i| {
        let (step, body) = if i % 2 == 0 {
            ("approve", None)
        } else {
            ("reject", Some(json!({"reason": "duplicate"})))
        };
        let uri = uri(step);
        async move { s.call("POST", &uri, "acme", &s.c.boss, body).await }
    });
    let replies = futures::future::join_all(calls).await;
    let won: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::OK || r.status == StatusCode::CONFLICT)
    );

    let stored = s.portal_order(&order).await;
    let decisions = events(&stored)
        .iter()
        .filter(|e| *e == "approved" || *e == "rejected")
        .count();
    assert_eq!(decisions, 1);
    let bolt_ons = s.service(SPARE).await["bolt_ons"].as_array().unwrap().len();
    let (completed, rejected) = (
        s.f.w.mail("sam@example.com", "order-completed").await.len(),
        s.f.w.mail("sam@example.com", "order-rejected").await.len(),
    );
    match stored["state"].as_str() {
        Some("completed") => assert_eq!((bolt_ons, completed, rejected), (1, 1, 0)),
        Some("rejected") => assert_eq!((bolt_ons, completed, rejected), (0, 0, 1)),
        other => panic!("unexpected state {other:?}"),
    }
}

#[tokio::test]
async fn twenty_customers_ordering_the_last_number_one_gets_it() {
    twenty_customers_ordering_the_last_number_one_gets_it_on(World::new().await).await;
}

/// The same on DynamoDB: the conditions that make it so are the AWS adapter's too.
#[tokio::test]
async fn twenty_customers_ordering_the_last_number_one_gets_it_on_dynamodb() {
    twenty_customers_ordering_the_last_number_one_gets_it_on(World::on_dynamodb().await).await;
}

async fn twenty_customers_ordering_the_last_number_one_gets_it_on(w: World) {
    let s = shop_on(w).await;
    let s = &s;
    s.call(
        "POST",
        "/v1/console/numbers",
        "acme",
        &s.c.boss,
        Some(json!({"area": "03", "tier": "standard", "numbers": ["+61355500001"]})),
    )
    .await;
    let identity = s.f.w.platform.identity();
    let mut tokens = Vec::new();
    for i in 0..20 {
        let account =
            s.f.w
                .account(
                    &s.f.tenant,
                    &format!("Buyer {i}"),
                    &format!("b{i}@example.com"),
                    None,
                )
                .await;
        identity
            .credentials
            .create_owner_with_password(
                &s.f.tenant.id,
                &account.parse().unwrap(),
                &format!("buyer{i}"),
                "a buyer's long password",
            )
            .await
            .unwrap();
        tokens.push(
            s.f.w
                .token("acme", &format!("buyer{i}"), "a buyer's long password")
                .await,
        );
    }
    let plan = s.f.plan.to_string();
    let calls = tokens.iter().map(|token| {
        let body = json!({"request": {"kind": "number", "number": "+61355500001", "plan": plan}});
        async move {
            s.call("POST", "/v1/portal/orders", "acme", token, Some(body))
                .await
        }
    });
    let replies = futures::future::join_all(calls).await;
    let statuses: Vec<StatusCode> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        replies
            .iter()
            .filter(|r| r.status != StatusCode::CREATED)
            .all(|r| r.body["type"] == "/problems/number-unavailable")
    );
    // The losers hold no order; the number is out of the search.
    let mut orders = 0;
    for token in &tokens {
        orders += s.ids("/v1/portal/orders", "acme", token).await.len();
    }
    assert_eq!(orders, 1);
    assert!(
        s.ids("/v1/portal/numbers?area=03", "acme", &s.c.sam)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn other_end_users_reach_no_order_of_the_account() {
    let s = shop().await;
    let s = &s;
    let spare = s.service(SPARE).await;
    let request = json!({"kind": "subscribe_bolt_on", "service": spare["id"],
        "bolt_on": s.f.bolt_on.to_string()});
    let order = s.placed(&s.c.sam, request.clone()).await;
    let oid = id(&order);
    // Other end users: another account of acme, an end user of another provider.
    for (tenant, token) in [("acme", &s.c.kim), ("bluewave", &s.c.lee)] {
        let get = s
            .call(
                "GET",
                &format!("/v1/portal/orders/{oid}"),
                tenant,
                token,
                None,
            )
            .await;
        assert_eq!(get.status, StatusCode::NOT_FOUND, "{tenant}");
        let resubmit = s
            .call(
                "POST",
                &format!("/v1/portal/orders/{oid}/resubmit"),
                tenant,
                token,
                Some(json!({})),
            )
            .await;
        assert_eq!(resubmit.status, StatusCode::NOT_FOUND, "{tenant}");
    }
    assert!(
        s.ids("/v1/portal/orders", "acme", &s.c.kim)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn what_a_service_is_offered_is_for_its_own_account_only() {
    let s = shop().await;
    let s = &s;
    let spare = s.service(SPARE).await;
    // What a service is offered is for its own account only.
    let offered = format!(
        "/v1/portal/services/{}/bolt-ons",
        spare["id"].as_str().unwrap()
    );
    let own = s.call("GET", &offered, "acme", &s.c.sam, None).await;
    assert_eq!(own.body[0]["name"], "5 minutes", "{}", own.text);
    assert_eq!(
        (
            own.body[0]["price"].as_str(),
            own.body[0]["attached"].as_bool()
        ),
        (Some("3.00"), Some(false))
    );
    for (tenant, token) in [("acme", &s.c.kim), ("bluewave", &s.c.lee)] {
        let theirs = s.call("GET", &offered, tenant, token, None).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{tenant}");
    }
}

#[tokio::test]
async fn customers_see_their_own_providers_plans_only() {
    let s = shop().await;
    let s = &s;
    // Customers see their own provider's plans, to order numbers and services on.
    let plans = s.ids("/v1/portal/plans", "acme", &s.c.sam).await;
    assert_eq!(plans, vec![s.f.plan.to_string()]);
    assert!(
        s.ids("/v1/portal/plans", "bluewave", &s.c.lee)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn nobody_orders_against_another_accounts_service() {
    let s = shop().await;
    let s = &s;
    let spare = s.service(SPARE).await;
    let request = json!({"kind": "subscribe_bolt_on", "service": spare["id"],
        "bolt_on": s.f.bolt_on.to_string()});
    // Kim cannot order against Sam's service.
    let theirs = s.order(&s.c.kim, request.clone()).await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(theirs.body["errors"][0]["field"], "/request/service");
}

#[tokio::test]
async fn another_providers_staff_reach_none_of_the_orders_settings_or_numbers() {
    let s = shop().await;
    let s = &s;
    let spare = s.service(SPARE).await;
    let request = json!({"kind": "subscribe_bolt_on", "service": spare["id"],
        "bolt_on": s.f.bolt_on.to_string()});
    let order = s.placed(&s.c.sam, request.clone()).await;
    let oid = id(&order);
    let acct = &s.sam_account;
    // Another provider's staff, under its own tenant: nothing of acme's.
    for uri in [
        format!("/v1/console/accounts/{acct}/orders"),
        format!("/v1/console/accounts/{acct}/orders/{oid}"),
    ] {
        assert_eq!(
            s.call("GET", &uri, "bluewave", &s.c.rival, None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    for step in ["approve", "reject", "undo-rejection"] {
        let reply = s
            .call(
                "POST",
                &format!("/v1/console/accounts/{acct}/orders/{oid}/{step}"),
                "bluewave",
                &s.c.rival,
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{step}");
    }
    assert!(
        s.ids("/v1/console/orders/pending", "bluewave", &s.c.rival)
            .await
            .is_empty()
    );
    assert!(
        s.ids("/v1/console/orders/history", "bluewave", &s.c.rival)
            .await
            .is_empty()
    );
    let rival_settings = s
        .call(
            "GET",
            "/v1/console/settings/orders",
            "bluewave",
            &s.c.rival,
            None,
        )
        .await;
    assert_eq!(rival_settings.status, StatusCode::OK);
    s.settings(json!({"alert_email": "orders@acme.example"}))
        .await;
    let rival_settings = s
        .call(
            "GET",
            "/v1/console/settings/orders",
            "bluewave",
            &s.c.rival,
            None,
        )
        .await;
    assert!(rival_settings.body["alert_email"].is_null());
    s.call(
        "POST",
        "/v1/console/numbers",
        "acme",
        &s.c.boss,
        Some(json!({"area": "02", "tier": "standard", "numbers": ["+61255507001"]})),
    )
    .await;
    assert!(
        s.ids("/v1/console/numbers?area=02", "bluewave", &s.c.rival)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn group_limited_staff_see_no_order_of_an_account_outside_their_groups() {
    let s = shop().await;
    let s = &s;
    let spare = s.service(SPARE).await;
    let request = json!({"kind": "subscribe_bolt_on", "service": spare["id"],
        "bolt_on": s.f.bolt_on.to_string()});
    let order = s.placed(&s.c.sam, request.clone()).await;
    let oid = id(&order);
    let acct = &s.sam_account;
    let olga = invite_limited_staff(
        &s.f.w,
        &s.c.boss,
        "olga",
        &["accounts_read", "orders_approve", "provisioning_manage"],
    )
    .await;
    // Staff limited to an account group see no order of an account outside it.
    assert!(
        s.ids("/v1/console/orders/pending", "acme", &olga)
            .await
            .is_empty()
    );
    let approve = s
        .call(
            "POST",
            &format!("/v1/console/accounts/{acct}/orders/{oid}/approve"),
            "acme",
            &olga,
            None,
        )
        .await;
    assert_eq!(approve.status, StatusCode::NOT_FOUND);
    for uri in [
        format!("/v1/console/accounts/{acct}/orders"),
        format!("/v1/console/accounts/{acct}/orders/{oid}"),
    ] {
        let read = s.call("GET", &uri, "acme", &olga, None).await;
        assert_eq!(read.status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn staff_without_the_order_permissions_are_told_so() {
    let s = shop().await;
    let s = &s;
    // Staff without the permission are told so.
    let nora = s
        .call("GET", "/v1/console/orders/pending", "acme", &s.c.nora, None)
        .await;
    assert_eq!(nora.status, StatusCode::FORBIDDEN);
    assert_eq!(
        s.call("GET", "/v1/console/provisioning", "acme", &s.c.nora, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn group_limited_staff_do_not_see_a_queued_order_of_an_account_they_cannot_see() {
    let s = shop().await;
    let s = &s;
    let olga = invite_limited_staff(
        &s.f.w,
        &s.c.boss,
        "olga",
        &["accounts_read", "orders_approve", "provisioning_manage"],
    )
    .await;
    // Group-limited staff do not see an order in the queue whose account they cannot see.
    let port = s
        .placed(
            &s.c.sam,
            json!({"kind": "port_in", "number": "+61255506002",
        "plan": s.f.plan.to_string(), "losing_carrier": "Optus", "carrier_account": "9",
        "authorised_by": "Sam Lee"}),
        )
        .await;
    let approved = s.decide(&port, "approve", None).await;
    assert!(
        s.ids("/v1/console/provisioning", "acme", &olga)
            .await
            .is_empty()
    );
    let path = s.queue_path(&approved.body);
    assert_eq!(
        s.call("GET", &path, "acme", &olga, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.call("GET", &path, "acme", &s.c.boss, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_login_without_allow_order_requests_may_look_but_not_order() {
    let s = shop().await;
    let s = &s;
    // A login without "allow order requests" may look but not order.
    let me = s.call("GET", "/v1/portal/me", "acme", &s.c.kim, None).await;
    let kim_login = me.body["login"].as_str().unwrap().to_owned();
    let limited = s
        .call(
            "PATCH",
            &format!(
                "/v1/console/accounts/{}/logins/{kim_login}",
                s.c.kim_account
            ),
            "acme",
            &s.c.boss,
            Some(json!({"allow_orders": false})),
        )
        .await;
    assert_eq!(limited.status, StatusCode::OK, "{}", limited.text);
    let kim = s.f.w.token("acme", "kim", "kim's long password").await;
    let refused = s
        .order(
            &kim,
            json!({"kind": "new_service", "plan": s.f.plan.to_string()}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["type"], "/problems/action-not-allowed");
    let offered = s
        .call("GET", "/v1/portal/orders/settings", "acme", &kim, None)
        .await;
    assert_eq!(offered.body["kinds"], json!([]));
    let offered = s
        .call("GET", "/v1/portal/orders/settings", "acme", &s.c.sam, None)
        .await;
    assert!(
        offered.body["kinds"]
            .as_array()
            .unwrap()
            .contains(&json!("number"))
    );
}

#[tokio::test]
async fn a_read_only_impersonation_cannot_order_and_a_full_one_records_who_asked() {
    let s = shop().await;
    let s = &s;
    let acct = &s.sam_account;
    // Impersonation: read-only may not order; a full one records who really asked.
    let me = s.call("GET", "/v1/portal/me", "acme", &s.c.sam, None).await;
    let sam_login = me.body["login"].as_str().unwrap().to_owned();
    let as_sam = |read_only: bool| {
        let uri = format!("/v1/console/accounts/{acct}/logins/{sam_login}/impersonate");
        async move {
            let reply = s
                .call(
                    "POST",
                    &uri,
                    "acme",
                    &s.c.boss,
                    Some(json!({"read_only": read_only})),
                )
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
            reply.body["token"].as_str().unwrap().to_owned()
        }
    };
    let looking = as_sam(true).await;
    assert_eq!(
        s.order(
            &looking,
            json!({"kind": "new_service", "plan": s.f.plan.to_string()})
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let acting = as_sam(false).await;
    let placed = s
        .placed(
            &acting,
            json!({"kind": "new_service", "plan": s.f.plan.to_string()}),
        )
        .await;
    assert_eq!(placed["events"][0]["actor"]["username"], "sam");
    assert_eq!(placed["events"][0]["actor"]["impersonator"], "boss");
}

#[tokio::test]
async fn a_retried_order_with_the_same_key_is_the_same_order_and_another_request_is_refused() {
    let s = shop().await;
    let s = &s;
    // A retried order with the same key is the same order; another request under it is not.
    let keyed = |body: Json| {
        let body = json!({"request": body});
        async move {
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/v1/portal/orders")
                .header("x-selfcare-tenant", "acme")
                .header("authorization", format!("Bearer {}", s.c.sam))
                .header("idempotency-key", "order-key-0001")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap();
            let response = tower::ServiceExt::oneshot(s.f.w.app.clone(), request)
                .await
                .unwrap();
            let status = response.status();
            let bytes = http_body_util::BodyExt::collect(response.into_body())
                .await
                .unwrap()
                .to_bytes();
            (status, serde_json::from_slice::<Json>(&bytes).unwrap())
        }
    };
    let new_service =
        json!({"kind": "new_service", "plan": s.f.plan.to_string(), "notes": "second line"});
    let (first, a) = keyed(new_service.clone()).await;
    s.tick();
    let (second, b) = keyed(new_service).await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(a["id"], b["id"]);
    let (reused, problem) =
        keyed(json!({"kind": "new_service", "plan": s.f.plan.to_string()})).await;
    assert_eq!(reused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["type"], "/problems/idempotency-key-reused");
}

impl Shop {
    /// The actions of acme's trail read by its boss with `query`, newest first.
    async fn trail(&self, query: &str) -> Vec<String> {
        let reply = self
            .call(
                "GET",
                &format!("/v1/console/audit?limit=100{query}"),
                "acme",
                &self.c.boss,
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_morning_of_staff_decisions_and_settings_is_on_the_trail_once_each_and_can_be_narrowed() {
    let (s, _, order) = bolt_on_waiting().await;
    let before = s.trail("").await;
    let rejected = s
        .decide(&order, "reject", Some(json!({"reason": "Term contract"})))
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    s.decide(&order, "undo-rejection", None).await;
    s.decide(&order, "approve", None).await;
    // A step refused changes nothing, so it leaves no entry.
    let again = s.decide(&order, "approve", None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The trail orders entries by time: each step a second apart, as staff would be.
    s.tick();
    s.settings(json!({"alert_email": "desk@acme.example"}))
        .await;
    s.tick();
    let unreadable = s
        .call(
            "PUT",
            "/v1/console/branding",
            "acme",
            &s.c.boss,
            Some(json!({"brand_colour": "#FFCC00"})),
        )
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    let branded = s
        .call(
            "PUT",
            "/v1/console/branding",
            "acme",
            &s.c.boss,
            Some(json!({"brand_colour": "#5B2A86"})),
        )
        .await;
    assert_eq!(branded.status, StatusCode::OK, "{}", branded.text);

    let trail = s.trail("").await;
    assert_eq!(
        trail[..trail.len() - before.len()],
        [
            "branding.changed",
            "settings.orders_changed",
            "order.approved",
            "order.rejection_undone",
            "order.rejected",
        ]
    );
    let account = format!("&account={}", s.sam_account);
    assert_eq!(
        s.trail(&account).await[..3],
        ["order.approved", "order.rejection_undone", "order.rejected"]
    );
    let full = s
        .call("GET", "/v1/console/audit?limit=1", "acme", &s.c.boss, None)
        .await;
    let boss = full.body["items"][0]["actor"].as_str().unwrap().to_owned();
    assert_eq!(s.trail(&format!("&actor={boss}")).await.len(), trail.len());
    assert_eq!(
        s.trail("&actor=01J00000000000000000000000").await,
        Vec::<String>::new()
    );
    let today = s.f.w.clock.now().date();
    assert_eq!(s.trail(&format!("&from={today}&to={today}")).await, trail);
    let tomorrow = today.next_day().unwrap();
    assert_eq!(
        s.trail(&format!("&from={tomorrow}")).await,
        Vec::<String>::new()
    );
    let backwards = s
        .call(
            "GET",
            &format!("/v1/console/audit?from={tomorrow}&to={today}"),
            "acme",
            &s.c.boss,
            None,
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);

    let csv = s
        .call(
            "GET",
            &format!("/v1/console/audit?format=csv{account}"),
            "acme",
            &s.c.boss,
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("at,staff member,acting as,account,action"));
    assert!(
        lines[3].contains("order.rejected") && lines[3].contains("Term contract"),
        "{}",
        csv.text
    );
    // A staff member who sees some account groups only reads one account's trail.
    let limited = invite_limited_staff(&s.f.w, &s.c.boss, "lim", &["audit_view"]).await;
    let whole = s
        .call("GET", "/v1/console/audit", "acme", &limited, None)
        .await;
    assert_eq!(whole.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_wholesalers_decision_on_a_retailers_order_is_on_its_own_trail_naming_the_retailer() {
    let s = shop().await;
    s.settings(json!({"wholesaler_provisions": ["port_in"]}))
        .await;
    let order = s.placed(&s.c.sam, port_in(&s, "9")).await;
    let approved = s.decide(&order, "approve", None).await;
    let path = s.queue_path(&approved.body);
    let acme_before = s.trail("").await;
    let wanda = s.f.w.token("wisp", "wanda", STAFF_PASSWORD).await;
    let queue = s
        .call("GET", "/v1/console/provisioning", "wisp", &wanda, None)
        .await;
    assert_eq!(
        queue.body["items"][0]["provider_name"], "acme Telecom",
        "the wholesaler's queue names the retailer: {}",
        queue.text
    );
    let halted = s
        .call(
            "POST",
            &format!("{path}/halt"),
            "wisp",
            &wanda,
            Some(json!({"reason": "Wrong account"})),
        )
        .await;
    assert_eq!(halted.status, StatusCode::OK, "{}", halted.text);
    let wisp_trail = s
        .call("GET", "/v1/console/audit", "wisp", &wanda, None)
        .await;
    let newest = &wisp_trail.body["items"][0];
    assert_eq!(newest["action"], "order.halted", "{}", wisp_trail.text);
    let detail = newest["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!("retailer {}", s.f.tenant.id))
            && detail.ends_with("Wrong account"),
        "{detail}"
    );
    assert_eq!(
        s.trail("").await,
        acme_before,
        "not on the retailer's trail"
    );
}

#[tokio::test]
async fn numbers_written_as_dialled_in_the_providers_country_are_read_as_its_own() {
    let s = shop().await;
    let national = json!({"kind": "port_in", "number": "(02) 5550 6002",
        "plan": s.f.plan.to_string(), "losing_carrier": "Telstra", "carrier_account": "1",
        "authorised_by": "Sam Lee"});
    // No country set: only the international form is understood.
    let refused = s.order(&s.c.sam, national.clone()).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("/request/number"), "{}", refused.text);
    let settings = s.f.w.platform.settings();
    let mut access = settings.get(&s.f.tenant.id).await.unwrap();
    access.phone_country = Some("AU".into());
    settings
        .set(&s.f.tenant.id, access, &Stamp::none())
        .await
        .unwrap();
    let placed = s.placed(&s.c.sam, national).await;
    assert_eq!(placed["request"]["number"], "+61255506002");
    // A number that is no Australian number stays refused.
    let short = s
        .order(
            &s.c.sam,
            json!({"kind": "port_in", "number": "02 5550 600",
            "plan": s.f.plan.to_string(), "losing_carrier": "Telstra", "carrier_account": "1",
            "authorised_by": "Sam Lee"}),
        )
        .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.text
    );
    // Services show their number as people read it.
    assert_eq!(
        s.service(LANDLINE).await["identifier_shown"],
        "+61 2 5550 1234"
    );
}

#[tokio::test]
async fn the_catalogue_lists_a_providers_own_bolt_ons_only() {
    let s = shop().await;
    let own = s
        .call("GET", "/v1/console/bolt-ons", "acme", &s.c.boss, None)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text);
    assert_eq!(own.body["items"][0]["name"], "5 minutes");
    assert_eq!(own.body["items"][0]["allowances"][0]["quantity"], 300);
    let rival = s
        .call("GET", "/v1/console/bolt-ons", "bluewave", &s.c.rival, None)
        .await;
    assert_eq!(rival.body["items"], json!([]), "{}", rival.text);
    let customer = s
        .call("GET", "/v1/console/bolt-ons", "acme", &s.c.sam, None)
        .await;
    assert!(customer.status.is_client_error(), "{}", customer.text);
}

/// Sam invites Tia (technical, in French) to the account, and Tia sets up her login:
/// Tia's token.
async fn tia_invited(s: &Shop) -> String {
    colleague(s, "tia", "technical", "fr").await
}

/// Sam invites a colleague (`{name}@example.com`), who sets up a login: its token.
async fn colleague(s: &Shop, name: &str, role: &str, language: &str) -> String {
    let email = format!("{name}@example.com");
    let invited = s
        .call(
            "POST",
            "/v1/portal/logins",
            "acme",
            &s.c.sam,
            Some(json!({"email": email, "name": name, "role": role, "language": language})),
        )
        .await;
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    let made =
        s.f.w
            .set_up_invited("acme", &email, name, "runs the phones well")
            .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    s.f.w.token("acme", name, "runs the phones well").await
}

#[tokio::test]
async fn five_logins_of_an_account_at_most_get_a_kind_of_mail_at_their_own_address() {
    let s = shop().await;
    for n in 0..6 {
        let token = colleague(&s, &format!("helper{n}"), "billing", "en").await;
        let chose = s
            .call(
                "PUT",
                "/v1/portal/notifications",
                "acme",
                &token,
                Some(json!({"topics": ["bills", "orders"]})),
            )
            .await;
        if n < 5 {
            assert_eq!(chose.status, StatusCode::OK, "{}", chose.text);
        } else {
            assert_eq!(
                chose.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                chose.text
            );
            assert_eq!(chose.body["errors"][0]["field"], "/topics");
        }
    }
}

#[tokio::test]
async fn a_login_that_chose_order_mail_gets_it_at_its_address_in_its_language() {
    let s = shop().await;
    let tia = tia_invited(&s).await;
    let choices = s
        .call("GET", "/v1/portal/notifications", "acme", &tia, None)
        .await;
    assert_eq!(
        choices.body,
        json!({"email": "tia@example.com", "topics": [], "offered": ["orders", "usage_alerts"]}),
        "a technical login is not offered bill mail"
    );
    let choose = |token: &str, topics: Json| {
        let token = token.to_owned();
        let s = &s;
        async move {
            s.call(
                "PUT",
                "/v1/portal/notifications",
                "acme",
                &token,
                Some(json!({ "topics": topics })),
            )
            .await
        }
    };
    let bills = choose(&tia, json!(["bills"])).await;
    assert_eq!(
        bills.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bills.text
    );
    let chosen = choose(&tia, json!(["orders"])).await;
    assert_eq!(chosen.status, StatusCode::OK, "{}", chosen.text);
    assert_eq!(chosen.body["topics"], json!(["orders"]));

    let spare = s.service(SPARE).await;
    s.placed(&s.c.sam, bolt_on(&s, "subscribe_bolt_on", &spare))
        .await;
    let to_tia = s.f.w.mail("tia@example.com", "order-submitted").await;
    assert_eq!(to_tia.len(), 1);
    assert!(
        to_tia[0].contains("Bonjour tia") && to_tia[0].contains("Option 5 minutes sur"),
        "in Tia's language: {}",
        to_tia[0]
    );
    let to_account = s.f.w.mail("sam@example.com", "order-submitted").await;
    assert_eq!(to_account.len(), 1, "the account's address still gets it");
    assert!(to_account[0].contains("Bolt-on 5 minutes on"));

    // Staff acting as Tia cannot choose for her; her choice stands.
    s.f.w.staff(&s.f.tenant, "helper", ALL).await;
    let helper = s.f.w.token("acme", "helper", STAFF_PASSWORD).await;
    let tia_login = s
        .call("GET", "/v1/portal/me", "acme", &tia, None)
        .await
        .body["login"]
        .as_str()
        .unwrap()
        .to_owned();
    let acting = s
        .call(
            "POST",
            &format!(
                "/v1/console/accounts/{}/logins/{tia_login}/impersonate",
                s.sam_account
            ),
            "acme",
            &helper,
            Some(json!({})),
        )
        .await;
    let acting = acting.body["token"].as_str().unwrap().to_owned();
    let refused = choose(&acting, json!([])).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Tia stops it: the next order's mail goes to the account's address only.
    assert_eq!(choose(&tia, json!([])).await.status, StatusCode::OK);
    let landline = s.service(LANDLINE).await;
    s.placed(
        &s.c.sam,
        json!({"kind": "number_features", "service": landline["id"],
               "features": {"forward_to": "+61 2 5550 9999"}}),
    )
    .await;
    assert_eq!(
        s.f.w.mail("sam@example.com", "order-submitted").await.len(),
        2
    );
    assert_eq!(
        s.f.w.mail("tia@example.com", "order-submitted").await.len(),
        1
    );
}

#[tokio::test]
async fn order_lists_narrow_by_state_and_the_providers_days() {
    let (s, _, waiting) = bolt_on_waiting().await;
    let landline = s.service(LANDLINE).await;
    let rejected = s
        .placed(
            &s.c.sam,
            json!({"kind": "number_features", "service": landline["id"],
                   "features": {"failover_to": "+61 2 5550 9999"}}),
        )
        .await;
    s.decide(
        &rejected,
        "reject",
        Some(json!({"reason": "not on this plan"})),
    )
    .await;
    let today = s.f.w.clock.now().date();
    let portal = |query: String| {
        let s = &s;
        async move {
            s.ids(&format!("/v1/portal/orders?{query}"), "acme", &s.c.sam)
                .await
        }
    };
    assert_eq!(portal("state=pending".into()).await, vec![id(&waiting)]);
    assert_eq!(portal("state=rejected".into()).await, vec![id(&rejected)]);
    assert_eq!(
        portal(format!("from={today}&to={today}")).await,
        vec![id(&rejected), id(&waiting)]
    );
    let tomorrow = today.next_day().unwrap();
    assert!(portal(format!("from={tomorrow}")).await.is_empty());
    let backwards = s
        .call(
            "GET",
            &format!("/v1/portal/orders?from={tomorrow}&to={today}"),
            "acme",
            &s.c.sam,
            None,
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = s
        .call(
            "GET",
            "/v1/portal/orders?state=lost",
            "acme",
            &s.c.sam,
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);

    // Staff's history and the account's orders narrow the same way.
    assert_eq!(
        s.ids(
            "/v1/console/orders/history?state=rejected",
            "acme",
            &s.c.boss
        )
        .await,
        vec![id(&rejected)]
    );
    assert_eq!(
        s.ids(
            &format!(
                "/v1/console/accounts/{}/orders?state=pending",
                s.sam_account
            ),
            "acme",
            &s.c.boss
        )
        .await,
        vec![id(&waiting)]
    );
}

#[tokio::test]
async fn mail_choices_and_narrowed_order_lists_reach_no_one_elses() {
    let (s, _, waiting) = bolt_on_waiting().await;
    // Kim (another account of Acme) and Lee (another provider's customer) narrow their own
    // lists to waiting orders: Sam's is in neither.
    for (tenant, token) in [("acme", s.c.kim.as_str()), ("bluewave", s.c.lee.as_str())] {
        let ids = s
            .ids("/v1/portal/orders?state=pending", tenant, token)
            .await;
        assert!(!ids.contains(&id(&waiting)), "{tenant}: {ids:?}");
    }
    // Bluewave's staff narrowing its own history see nothing of Acme's.
    let rival = s
        .ids(
            "/v1/console/orders/history?state=pending",
            "bluewave",
            &s.c.rival,
        )
        .await;
    assert!(rival.is_empty(), "{rival:?}");

    // Mail choices are the signed-in login's own: one login choosing changes no other's,
    // staff have none, and a token carried to another provider's address is signed in
    // nowhere there.
    let chose = s
        .call(
            "PUT",
            "/v1/portal/notifications",
            "acme",
            &s.c.kim,
            Some(json!({"topics": ["orders"]})),
        )
        .await;
    assert_eq!(chose.status, StatusCode::OK, "{}", chose.text);
    let sams = s
        .call("GET", "/v1/portal/notifications", "acme", &s.c.sam, None)
        .await;
    assert_eq!(sams.body["topics"], json!([]));
    let staff = s
        .call("GET", "/v1/portal/notifications", "acme", &s.c.boss, None)
        .await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    assert_eq!(staff.body["type"], "/problems/portal-only");
    let elsewhere = s
        .call(
            "PUT",
            "/v1/portal/notifications",
            "bluewave",
            &s.c.sam,
            Some(json!({"topics": ["orders"]})),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
    let sams = s
        .call("GET", "/v1/portal/notifications", "acme", &s.c.sam, None)
        .await;
    assert_eq!(sams.body["topics"], json!([]));
}
