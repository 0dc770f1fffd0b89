//! Starting a hub: the one start-up path the binary, the demo and the tests share.
//!
//! [`Hub::open`] opens (and migrates) the database and prepares the API state. Then
//! [`Hub::run`] serves on a listener until a shutdown future resolves, blocking on a
//! runtime of its own (the `tagstation hub` command), or [`Hub::spawn`] serves on a
//! background thread until the returned [`Running`] handle is stopped or dropped (the
//! demo, the tests).

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;

use super::server::{self, AppState, Tls};
use super::{open_store, HubStore};

/// What a hub needs to start.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// A PostgreSQL URL, or the path of the SQLite database (or its directory).
    pub database: String,
    /// The admin token; only its hash is kept.
    pub admin_token: String,
    /// Serve HTTPS with this certificate and key; plain HTTP without.
    pub tls: Option<Tls>,
    /// Threads of the hub's runtime; the number of cores when `None`.
    pub worker_threads: Option<usize>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for rate limits and
    /// logs); from anyone else the header is ignored.
    pub trusted_proxies: server::proxy::TrustedProxies,
    /// More routes served beside the API: the web app (`tagstation-web`), which the
    /// binary adds. The hub does not depend on its front ends.
    pub routes: Option<server::ExtraRoutes>,
    /// The names clients reach the hub by (beside loopback), for the front ends that
    /// check `Host` (the MCP endpoint).
    pub host_names: Vec<String>,
    /// The new tags the hub leases to stations, checked as the hub starts.
    pub tags: super::tags::TagSettings,
}

/// Why a hub could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot open the hub database")]
    Open(#[from] super::HubError),
    #[error("cannot serve")]
    Io(#[from] std::io::Error),
    #[error("the tag settings cannot be used")]
    Tags(#[from] super::tags::SettingsError),
}

/// An opened hub, ready to serve.
pub struct Hub {
    state: Arc<AppState>,
    tls: Option<Tls>,
    worker_threads: Option<usize>,
    routes: Option<server::ExtraRoutes>,
}

impl Hub {
    pub fn open(options: HubOptions) -> Result<Hub, RunError> {
        // Settings first: a hub that cannot start leaves no database behind.
        options.tags.check()?;
        let store = open_store(&options.database)?;
        Hub::with_store(store, options)
    }

    /// A hub over an already opened store (`options.database` is not used).
    pub fn with_store(store: Arc<dyn HubStore>, options: HubOptions) -> Result<Hub, RunError> {
        options.tags.check()?;
        let leased = super::read(store.as_ref(), super::tags::leased_patterns)?;
        options.tags.check_against(&leased)?;
        Ok(Hub {
            state: AppState::new(
                store,
                &options.admin_token,
                options.trusted_proxies,
                options.tls.is_some(),
                options.host_names,
                options.tags,
            ),
            tls: options.tls,
            worker_threads: options.worker_threads,
            routes: options.routes,
        })
    }

    /// The API state: the store, the metrics.
    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    pub fn store(&self) -> &Arc<dyn HubStore> {
        &self.state.store
    }

    fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if let Some(n) = self.worker_threads {
            b.worker_threads(n.max(1));
        }
        b.enable_all().build()
    }

    /// Serve on `listener` until `shutdown` resolves, on a runtime of its own; blocks.
    pub fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RunError> {
        let rt = self.runtime()?;
        rt.block_on(server::serve(
            listener,
            self.state,
            self.tls,
            self.routes,
            shutdown,
        ))?;
        Ok(())
    }

    /// Serve on `listener` from a background thread until the handle is stopped or
    /// dropped.
    pub fn spawn(self, listener: TcpListener) -> Result<Running, RunError> {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr()?);
        let state = self.state.clone();
        let rt = self.runtime()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hub".into())
            .spawn(move || {
                let shutdown = async {
                    let _ = stopped.await;
                };
                let r = rt.block_on(server::serve(
                    listener,
                    self.state,
                    self.tls,
                    self.routes,
                    shutdown,
                ));
                if let Err(e) = &r {
                    tracing::error!(error = %e, "the hub stopped serving");
                }
                r
            })?;
        Ok(Running {
            url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A hub serving from a background thread. Dropping it stops the hub.
pub struct Running {
    url: String,
    state: Arc<AppState>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stop serving (open requests finish first) and wait for the thread.
    pub fn stop(mut self) -> Result<(), RunError> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<(), RunError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => Ok(r?),
            Some(Err(_)) => Err(RunError::Io(std::io::Error::other(
                "the hub thread panicked",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
