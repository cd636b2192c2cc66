//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Recall API", description = "Interaction-data ingest, messages and retention. Authenticate with `Authorization: Bearer <API key>`."),
    paths(
        super::messages::create, super::messages::show, super::messages::edit,
        super::messages::act, super::messages::list,
        super::events::post_events,
        super::archive::pin, super::archive::unpin, super::archive::download,
        super::restores::request, super::restores::preview, super::restores::show, super::restores::list,
        super::segments::create, super::segments::list, super::segments::show, super::segments::replace,
        super::segments::remove, super::segments::evaluate_unsaved, super::segments::evaluate_saved,
        super::segments::users, super::segments::audience, super::segments::set_audience,
        super::tags::list, super::tags::rename, super::tags::merge,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "messages", description = "Campaigns and Canvases"),
        (name = "events", description = "Interaction-event ingest"),
        (name = "tags", description = "Tags"),
        (name = "segments", description = "Retargeting filters, saved segments and message audiences"),
        (name = "restores", description = "Bringing expired interaction data back"),
        (name = "retention", description = "Pins and raw downloads of a message's interaction data"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
