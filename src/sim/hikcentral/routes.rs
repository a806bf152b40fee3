//! The route table: every Artemis path the simulator serves and the API behind it, under the
//! [`gateway`](super::gateway) and the fault layer (outermost); unknown paths answer 404.

use super::wire::{envelope, reply, ApiResult, Params};
use super::{access, apply, events, gateway, orgs, persons, subscriptions, HikSim};
use crate::sim::faults;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::{middleware, Json, Router};
use serde_json::json;

type Api = fn(&HikSim, &Params) -> ApiResult;

/// A POST route whose JSON-object body is parsed and answered with the envelope.
fn api(f: Api) -> MethodRouter<HikSim> {
    post(move |State(sim): State<HikSim>, body: Bytes| async move {
        reply(Params::parse(&body).and_then(|p| f(&sim, &p)))
    })
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(envelope("404", "API not found", None)),
    )
        .into_response()
}

fn version(sim: &HikSim, _: &Params) -> ApiResult {
    let cfg = sim.cfg();
    Ok(json!({ "produceName": cfg.product_name, "softVersion": cfg.soft_version }))
}

impl HikSim {
    /// The full app: faults (outermost), then the gateway, then the APIs. Unknown paths: 404.
    pub fn router(&self) -> Router {
        const RES: &str = "/artemis/api/resource/v1";
        const EVT: &str = "/artemis/api/eventService/v1";
        const ACS: &str = "/artemis/api/acs/v1";
        let routes: Vec<(String, MethodRouter<HikSim>)> = vec![
            ("/artemis/api/common/v1/version".into(), api(version)),
            (format!("{RES}/person/single/add"), api(persons::add)),
            (format!("{RES}/person/single/update"), api(persons::update)),
            (format!("{RES}/person/single/delete"), post(persons::delete)),
            (
                format!("{RES}/person/deleteconfig/get"),
                post(persons::delete_config),
            ),
            (
                format!("{RES}/person/face/update"),
                api(persons::face_update),
            ),
            (
                format!("{RES}/person/personCode/personInfo"),
                api(persons::by_code),
            ),
            (
                format!("{RES}/person/personId/personInfo"),
                api(persons::by_id),
            ),
            (format!("{RES}/person/personList"), api(persons::list)),
            (
                format!("{RES}/person/advance/personList"),
                api(persons::advance_list),
            ),
            (
                format!("{RES}/person/picture_data"),
                post(persons::picture_data),
            ),
            (format!("{RES}/org/rootOrg"), api(orgs::root)),
            (format!("{RES}/org/orgList"), api(orgs::list)),
            (
                format!("{RES}/org/advance/orgList"),
                api(orgs::advance_list),
            ),
            (
                format!("{EVT}/eventSubscriptionByEventTypes"),
                api(subscriptions::subscribe),
            ),
            (
                format!("{EVT}/eventSubscriptionView"),
                api(subscriptions::view),
            ),
            (
                format!("{EVT}/eventUnSubscriptionByEventTypes"),
                api(subscriptions::unsubscribe),
            ),
            (
                "/artemis/api/acs/v1/door/events".into(),
                api(events::door_events),
            ),
            (format!("{ACS}/privilege/group"), api(access::group_list)),
            (
                format!("{ACS}/privilege/group/single/addPersons"),
                api(access::add_persons),
            ),
            (
                format!("{ACS}/privilege/group/single/deletePersons"),
                api(access::delete_persons),
            ),
            (
                format!("{ACS}/privilege/group/single/personList"),
                api(access::group_persons),
            ),
            (
                "/artemis/api/visitor/v1/auth/reapplication".into(),
                api(apply::reapplication),
            ),
            (
                "/artemis/api/acs/v2/door/events".into(),
                api(events::door_events_v2),
            ),
            (
                "/artemis/api/acs/v1/faceCheck".into(),
                api(persons::face_check),
            ),
            (
                format!("{ACS}/auth/applicationResult"),
                api(apply::application_result),
            ),
        ];
        let mut router = Router::new();
        for (path, method_router) in routes {
            router = router.route(&path, method_router);
        }
        router
            .route_layer(middleware::from_fn_with_state(self.clone(), gateway::check))
            .fallback(not_found)
            .layer(DefaultBodyLimit::disable())
            .with_state(self.clone())
            .layer(middleware::from_fn_with_state(
                self.faults.clone(),
                faults::apply,
            ))
    }
}
