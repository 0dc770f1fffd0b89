//! tagstation-mcp: the inventory as tools for an AI assistant, over the Model Context
//! Protocol (the official Rust SDK, `rmcp`). Its one job: let an assistant read and
//! change the inventory through the same operations layer as every other front end.
//!
//! The tools are written once ([`tools`]), generic over the operations layer's
//! `Ledger` (lookups and the one durable write) and `Reads` (views of units by filter,
//! history, recent activity, conflicts), which the station's store and the hub each
//! implement. Every write is an ordinary event made by a `tagstation-ops` operation,
//! with the actor `mcp:<who>`. Names are never guessed: a reference that matches
//! several things returns the candidates, an unknown one the closest matches
//! ([`find`]).
//!
//! - [`server`]: the tools as MCP tools (schemas, `readOnlyHint`, results), and the
//!   station's server over stdio (feature `station`): `tagstation mcp`, offline, its
//!   writes synced later like any scan;
//! - `hub` (feature `hub`): `/mcp` on the hub, streamable HTTP in stateless mode (any
//!   hub behind a load balancer answers any request), behind a personal API token;
//!   each token sees and may call only the tools its role allows.

pub mod find;
#[cfg(feature = "hub")]
pub mod hub;
pub mod server;
pub mod tools;

pub use tools::{call, Caller, Tool, ToolError};
