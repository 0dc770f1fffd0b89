//! The tools as MCP speaks them: their list for a role (schemas, `readOnlyHint`,
//! `destructiveHint`), a call's result (JSON text and structured content; a refusal is
//! a result with `isError`, in words an assistant can act on), and, with the
//! `station` feature, the station's server over stdio.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, Implementation, ServerCapabilities,
    ServerConfig, Tool as McpTool, ToolAnnotations,
};
use serde_json::Value;

use tagstation_core::escape::controls;
use tagstation_core::people::Role;

use crate::tools::{Caller, Tool, ToolError};

/// What the server tells an assistant when it connects.
pub const INSTRUCTIONS: &str = "tagstation tracks durable things (drills, laptops, cameras) one unit at a time, and counted stock. An item is a kind of thing; a unit is one physical thing of a unit-tracked item, named like \"Drill 03\" and often carrying an asset tag. Find units first (find_units, get_unit), then change them by tag or name. A kit is a named set of units lent and taken back together, with a tag of its own (list_kits, get_kit, check_out_kit, check_in_kit). Never guess: when a name matches several units or none, the tool answers with the candidates or the closest names; ask the user which one.";

/// The server's identity and capabilities (tools only).
pub fn info() -> ServerConfig {
    ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
        .with_server_info(Implementation::new("tagstation", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
}

/// The tools `role` may use, as MCP lists them.
pub fn list(role: Role) -> Vec<McpTool> {
    Tool::allowed(role)
        .map(|t| {
            let schema = match serde_json::to_value(t.schema()) {
                Ok(Value::Object(o)) => o,
                _ => serde_json::Map::new(),
            };
            McpTool::new(t.name(), t.description(), Arc::new(schema)).with_annotations(
                ToolAnnotations::new()
                    .read_only(t.read_only())
                    .destructive(t.destructive())
                    .open_world(false),
            )
        })
        .collect()
}

/// A call's name and arguments (absent arguments are an empty object).
pub fn request(req: CallToolRequestParams) -> (String, Value) {
    let args = req.arguments.map(Value::Object).unwrap_or(Value::Null);
    (req.name.to_string(), args)
}

/// A tool's answer as an MCP result: JSON as text and as structured content, or the
/// refusal with `isError`.
pub fn result(tool: &str, r: Result<Value, ToolError>) -> CallToolResult {
    match r {
        Ok(v) => {
            let text = v.to_string();
            let mut out = CallToolResult::success(vec![ContentBlock::text(text)]);
            out.structured_content = Some(v);
            out
        }
        Err(e) => {
            if matches!(e, ToolError::Op(tagstation_ops::OpError::Storage { .. })) {
                tracing::error!(tool = %controls(tool), error = %controls(&e.to_string()), "MCP tool failed");
            } else {
                tracing::info!(tool = %controls(tool), refused = %controls(&e.to_string()), "MCP tool refused");
            }
            let v = e.to_json();
            let mut out = CallToolResult::error(vec![ContentBlock::text(e.to_string())]);
            out.structured_content = Some(v);
            out
        }
    }
}

/// Log a call (tool and caller, never its arguments' text raw).
pub fn log_call(caller: &Caller, tool: &str) {
    tracing::debug!(tool = %controls(tool), actor = %controls(&caller.actor.0), "MCP tool call");
}

/// Where a server runs its tools: the station's store or the hub's, for one caller.
pub trait Backend: Clone + Send + Sync + 'static {
    fn caller(&self) -> &Caller;
    /// Run one tool (on the blocking pool: the stores block).
    fn run(
        &self,
        name: String,
        args: Value,
    ) -> impl std::future::Future<Output = Result<Value, ToolError>> + Send;
}

/// The MCP server over a [`Backend`]: lists the caller's tools and runs them.
#[derive(Clone)]
pub struct Mcp<B>(pub B);

impl<B: Backend> rmcp::ServerHandler for Mcp<B> {
    fn get_info(&self) -> ServerConfig {
        info()
    }

    async fn list_tools(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        _context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::ListToolsResult, rmcp::ErrorData> {
        Ok(rmcp::model::ListToolsResult::with_all_items(list(
            self.0.caller().role,
        )))
    }

    async fn call_tool(
        &self,
        req: CallToolRequestParams,
        _context: rmcp::service::RequestContext<rmcp::RoleServer>,
    ) -> Result<rmcp::model::CallToolResponse, rmcp::ErrorData> {
        let (name, args) = request(req);
        log_call(self.0.caller(), &name);
        let r = self.0.run(name.clone(), args).await;
        Ok(result(&name, r).into())
    }
}

#[cfg(feature = "station")]
pub use station::{serve_stdio, StationServer};

#[cfg(feature = "station")]
mod station {
    use std::sync::{Arc, Mutex};

    use rmcp::ServiceExt;
    use serde_json::Value;

    use tagstation_station::store::Store;

    use super::{Backend, Mcp};
    use crate::tools::{call, Caller, ToolError};

    /// The station's tools: its own store, one caller (nobody signs in on stdio).
    #[derive(Clone)]
    pub struct StationServer {
        store: Arc<Mutex<Store>>,
        caller: Caller,
    }

    impl StationServer {
        pub fn new(store: Store, caller: Caller) -> StationServer {
            StationServer {
                store: Arc::new(Mutex::new(store)),
                caller,
            }
        }
    }

    impl Backend for StationServer {
        fn caller(&self) -> &Caller {
            &self.caller
        }

        async fn run(&self, name: String, args: Value) -> Result<Value, ToolError> {
            let store = self.store.clone();
            let caller = self.caller.clone();
            tokio::task::spawn_blocking(move || {
                let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
                call(&mut *s, &caller, &name, args)
            })
            .await
            .unwrap_or_else(|e| Err(ToolError::Refused(format!("the tool stopped: {e}"))))
        }
    }

    /// Why the stdio server stopped.
    #[derive(Debug, thiserror::Error)]
    pub enum StdioError {
        #[error("the MCP session could not start: {0}")]
        Start(String),
        #[error("the MCP session ended with an error: {0}")]
        Run(String),
    }

    /// Serve MCP on standard input and output until the client closes it. Standard
    /// output carries only the protocol: logs go to standard error.
    pub async fn serve_stdio(store: Store, caller: Caller) -> Result<(), StdioError> {
        let server = Mcp(StationServer::new(store, caller))
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| StdioError::Start(e.to_string()))?;
        server
            .waiting()
            .await
            .map_err(|e| StdioError::Run(e.to_string()))?;
        Ok(())
    }
}
