//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::http::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Recall API", description = "Interaction-data ingest, messages and retention. Authenticate with `Authorization: Bearer <API key>`."),
    paths(
        super::messages::create, super::messages::show, super::messages::edit,
        super::messages::act, super::messages::archive_action, super::messages::list,
        super::events::post_events,
        super::archive::pin, super::archive::unpin, super::archive::download,
        super::restores::request, super::restores::preview, super::restores::show, super::restores::list,
        super::segments::create, super::segments::list, super::segments::show, super::segments::replace,
        super::segments::remove, super::segments::evaluate_unsaved, super::segments::evaluate_saved,
        super::segments::users, super::segments::audience, super::segments::set_audience,
        super::tags::list, super::tags::rename, super::tags::merge,
    ),
    modifiers(&BearerAuth, &CommonResponses),
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

/// Answers every operation can give, written once instead of on each
/// handler: without them a client (or schemathesis) meets statuses the
/// document never mentioned.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let has_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(description));
                };
                add("401", "Missing, malformed, invalid or revoked API key");
                add("403", "The API key lacks the scope this operation needs");
                if has_body {
                    add("400", "The body is empty or not JSON");
                    add(
                        "413",
                        "The body is over its size limit (2 MiB; 16 MiB for events)",
                    );
                    add(
                        "422",
                        "The body is JSON but not a valid request (the error says why)",
                    );
                }
            }
        }
    }
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
        )
        .build()
        .into()
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What schemathesis checks answers against: an operation that can
    /// answer 401, 403, 400 or 413 must say so.
    #[test]
    fn every_operation_documents_auth_failures_and_bodies_their_errors() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("json");
        let paths = doc["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("item") {
                operations += 1;
                let statuses = op["responses"].as_object().expect("responses");
                let mut needed = vec!["401", "403"];
                if op.get("requestBody").is_some() {
                    needed.extend(["400", "413", "422"]);
                }
                for status in needed {
                    assert!(statuses.contains_key(status), "{method} {path}: {status}");
                }
            }
        }
        assert_eq!(operations, 27);
        let act = &doc["paths"]["/api/v1/messages/{id}/{action}"]["post"]["parameters"];
        let action = act
            .as_array()
            .expect("parameters")
            .iter()
            .find(|p| p["name"] == "action")
            .expect("action");
        assert_eq!(
            action["schema"]["enum"],
            serde_json::json!(["start", "stop", "archive", "unarchive"])
        );
        let users = &doc["paths"]["/api/v1/segments/{id}/users"]["get"]["responses"]["200"];
        assert!(users["content"].get("text/csv").is_some(), "format=csv");
        let put = &doc["paths"]["/api/v1/segments/{id}"]["put"]["responses"];
        assert!(put.get("409").is_some(), "duplicate segment names are 409");
    }
}
