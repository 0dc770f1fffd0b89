//! `/mcp` on the hub: MCP over streamable HTTP in stateless mode (no session is kept
//! between requests, so any hub behind a load balancer answers any request), behind a
//! personal API token (`Authorization: Bearer tsp_…`, `accounts::token_person`). A
//! request without a live token is answered 401. The token's role (the lower of its
//! cap and the person's role, read fresh on each request) decides which tools are
//! listed and which may be called; writes are recorded as `mcp:<person>`. `Host` must
//! be loopback or one of the hub's configured names (`--host-name`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::Value;

use tagstation_core::clock::{Clock, SystemClock};
use tagstation_core::people::Person;
use tagstation_hub::server::AppState;
use tagstation_hub::{accounts, ledger, HubStore};

use crate::server::{Backend, Mcp};
use crate::tools::{call, Caller, ToolError};

/// The MCP endpoint, for the hub's extra routes.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/mcp", any(mcp))
}

/// Loopback, always allowed in `Host`.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The hub's tools for one request: the store and who signed it.
#[derive(Clone)]
pub struct HubServer {
    store: Arc<dyn HubStore>,
    caller: Caller,
}

impl Backend for HubServer {
    fn caller(&self) -> &Caller {
        &self.caller
    }

    async fn run(&self, name: String, args: Value) -> Result<Value, ToolError> {
        let caller = self.caller.clone();
        ledger::run(self.store.clone(), move |l| {
            Ok(call(l, &caller, &name, args))
        })
        .await
        .unwrap_or_else(|e| Err(ToolError::Op(e)))
    }
}

/// The secret of an `Authorization: Bearer` header.
fn bearer(req: &Request) -> Option<String> {
    let v = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, secret) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_string())
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "a personal API token is needed: Authorization: Bearer tsp_...\n",
    )
        .into_response()
}

/// The person a bearer token acts as, read on the blocking pool.
async fn signed(store: Arc<dyn HubStore>, secret: String) -> Result<Option<Person>, Response> {
    tokio::task::spawn_blocking(move || {
        tagstation_hub::write(store.as_ref(), |c| {
            accounts::token_person(c, &secret, SystemClock.now().0)
        })
    })
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?
    .map_err(|e| {
        tracing::error!(error = %e, "MCP: cannot check a token");
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    })
}

async fn mcp(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let Some(secret) = bearer(&req) else {
        return unauthorized();
    };
    let person = match signed(st.store.clone(), secret).await {
        Ok(Some(p)) => p,
        Ok(None) => return unauthorized(),
        Err(r) => return r,
    };
    let server = Mcp(HubServer {
        store: st.store.clone(),
        caller: Caller::person(person),
    });
    let hosts: Vec<String> = LOOPBACK
        .iter()
        .map(|h| h.to_string())
        .chain(st.host_names.iter().cloned())
        .collect();
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_allowed_hosts(hosts);
    let mut service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    match tower_service::Service::call(&mut service, req).await {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    }
}
