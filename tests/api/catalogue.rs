use crate::helpers::spawn_app;

#[actix_web::test]
async fn packages_lists_the_four_packages_with_prices_and_policy() {
    let app = spawn_app().await;
    let r = app.get("/api/v1/packages").await;
    assert_eq!(r.status, 200);
    let ids: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "meeting-premium",
            "training-premium",
            "event-standard",
            "event-premium"
        ]
    );
    for p in r.body.as_array().unwrap() {
        assert!(p["base_price"]["amount_minor"].as_i64().unwrap() > 0);
        assert_eq!(p["base_price"]["currency"], "USD");
        assert_eq!(p["lead_time_days"], 14);
        assert!(!p["included"].as_array().unwrap().is_empty());
        assert_eq!(p["cancellation_policy"].as_array().unwrap().len(), 3);
        let premium = p["id"] == "event-premium";
        assert_eq!(p["requires_scheduled_meeting"], !premium);
        for e in p["extensions"].as_array().unwrap() {
            assert!(e["id"].is_string() && e["name"].is_string() && e["unit"].is_string());
            assert!(e["price"]["amount_minor"].as_i64().unwrap() > 0);
        }
    }
    let premium = &r.body[3];
    assert_eq!(premium["production_minutes"], 390);
    assert!(premium["optional"].as_array().unwrap().is_empty());
    assert_eq!(r.body[2]["optional"][0]["service"], "consultation");
}
