//! The OpenAPI 3.1 document of the server. Paths and schemas come from the
//! `#[utoipa::path]` annotations of the handlers (collected by
//! [`crate::routes::build`]); this module adds the title, tags and the two
//! security schemes.

use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};

/// Security scheme name of the native API (`Authorization: Bearer`).
pub const BEARER: &str = "bearer";
/// Security scheme name of the conserver API (its token header).
pub const CONSERVER_TOKEN: &str = "conserver_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "vconkit server (vcon serve)",
        description = "Stores, searches and processes vCons (draft-ietf-vcon-vcon-core-03). \
            The native API lives under /v1; the conserver-compatible API keeps the conserver's \
            paths (also under its API_ROOT_PATH, /api by default). Errors are RFC 9457 problem \
            documents (application/problem+json); invalid vCons come with the validator's findings."
    ),
    tags(
        (name = "vcons", description = "Native API: vCons as resources"),
        (name = "conserver", description = "Conserver-compatible API"),
        (name = "ops", description = "Health, readiness, metrics, this document"),
    )
)]
struct ApiDoc;

/// The document before paths are added: info, tags and security schemes
/// (`header_name` is the conserver token header).
pub fn base(header_name: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.description = Some(
        "The admin token (printed once at first start, or VCON_ADMIN_TOKEN) or a conserver token"
            .to_owned(),
    );
    components.add_security_scheme(BEARER, SecurityScheme::Http(bearer));
    components.add_security_scheme(
        CONSERVER_TOKEN,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            header_name,
            "CONSERVER_API_TOKEN, a line of CONSERVER_API_TOKEN_FILE (conserver routes only), \
             or the admin token; per-list ingress_auth keys on /vcon/external-ingress",
        ))),
    );
    doc
}
