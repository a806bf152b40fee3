//! The SIAD connections, pooled by `deadpool`: at most `siad.pool_size` in use at once, idle
//! ones kept for reuse, a free one waited for at most `siad.query_timeout_ms`. This module adds
//! what a generic pool cannot know: how a connection is made (TCP, TLS and login within
//! `siad.connect_timeout_ms`, one redirect followed, a TLS panic turned into an error), and what a
//! failed statement means for its connection (it is discarded; a reused one that broke is
//! replaced once). Every failure becomes a [`SiadError`] that says what to check.

use super::{ConnectPlan, Statement};
use crate::secret::Secret;
use crate::siad::SiadError;
use deadpool::managed::{self, Object, PoolError, TimeoutType};
use tiberius::error::Error as TdsError;
use tiberius::{Client, Row};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

type Conn = Client<Compat<TcpStream>>;

/// SQL Server: "Login failed for user".
const LOGIN_FAILED: u32 = 18456;
/// SQL Server: "Cannot open database requested by the login".
const CANNOT_OPEN_DATABASE: u32 = 4060;

/// How deadpool makes a connection; a returned one is reused as it is (a broken one shows up as
/// a connection error on its next statement, which [`Pool::rows`] handles).
struct Connector {
    plan: ConnectPlan,
    password: Secret,
}

impl managed::Manager for Connector {
    type Type = Conn;
    type Error = SiadError;

    async fn create(&self) -> Result<Conn, SiadError> {
        connect(&self.plan, &self.password).await
    }

    async fn recycle(
        &self,
        _: &mut Conn,
        _: &managed::Metrics,
    ) -> managed::RecycleResult<SiadError> {
        Ok(())
    }
}

pub(super) struct Pool {
    connections: managed::Pool<Connector>,
    plan: ConnectPlan,
}

impl Pool {
    pub(super) fn new(plan: ConnectPlan, password: Secret) -> Result<Self, SiadError> {
        let connections = managed::Pool::builder(Connector {
            plan: plan.clone(),
            password,
        })
        .max_size(plan.pool_size)
        .wait_timeout(Some(plan.query_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| SiadError::Settings(format!("cannot set up the SIAD connection pool: {e}")))?;
        Ok(Self { connections, plan })
    }

    /// The rows of the first result set of `statement`.
    ///
    /// A connection that fails is discarded, whatever the failure (a timed-out one may be
    /// mid-stream). A reused connection may have been closed by the server or a firewall while
    /// idle: if it fails with a connection error, the statement is tried once more.
    pub(super) async fn rows(&self, statement: &Statement) -> Result<Vec<Row>, SiadError> {
        let mut conn = self.checkout().await?;
        let reused = Object::metrics(&conn).recycle_count > 0;
        let failure = match self.run(&mut conn, statement).await {
            Ok(rows) => return Ok(rows),
            Err(failure) => failure,
        };
        let _discarded = Object::take(conn);
        if !(reused && matches!(failure, Failure::Connection(_))) {
            return Err(failure.into_error());
        }
        let mut conn = self.checkout().await?;
        match self.run(&mut conn, statement).await {
            Ok(rows) => Ok(rows),
            Err(failure) => {
                let _discarded = Object::take(conn);
                Err(failure.into_error())
            }
        }
    }

    /// A connection: an idle one, or a new one when fewer than `siad.pool_size` exist.
    async fn checkout(&self) -> Result<Object<Connector>, SiadError> {
        self.connections.get().await.map_err(|e| match e {
            PoolError::Backend(e) => e,
            PoolError::Timeout(TimeoutType::Wait) => SiadError::Unreachable(format!(
                "all {} SIAD connections stayed busy for {} ms (siad.pool_size, \
                 siad.query_timeout_ms)",
                self.plan.pool_size,
                self.plan.query_timeout.as_millis()
            )),
            PoolError::Closed => SiadError::Unreachable("the SIAD pool is closed".to_owned()),
            other => SiadError::Unreachable(format!("no SIAD connection: {other}")),
        })
    }

    async fn run(&self, conn: &mut Conn, statement: &Statement) -> Result<Vec<Row>, Failure> {
        let (timeout, setting) = statement.time_limit(self.plan.query_timeout);
        let work = async {
            statement
                .to_query()
                .query(conn)
                .await?
                .into_first_result()
                .await
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(e)) => Err(classify_query_error(e, statement.key)),
            Err(_) => Err(Failure::Timeout(format!(
                "SIAD did not answer {} within {} ms ({setting})",
                statement.key,
                timeout.as_millis()
            ))),
        }
    }
}

/// A new client: TCP, TLS and login within `connect_timeout`, following one redirect.
///
/// It runs in its own task because tiberius 0.12 panics when the system has no root
/// certificates at all (slim containers without `ca-certificates`); the panic is reported as an
/// `Unreachable` with that hint instead of taking the request down.
async fn connect(plan: &ConnectPlan, password: &Secret) -> Result<Conn, SiadError> {
    let config = plan.tiberius_config(password);
    let task_plan = plan.clone();
    let attempt = tokio::spawn(async move {
        tokio::time::timeout(
            task_plan.connect_timeout,
            connect_following_redirect(config, &task_plan),
        )
        .await
    });
    let where_ = plan.describe();
    let ms = plan.connect_timeout.as_millis();
    match attempt.await {
        Ok(Ok(result)) => result,
        Ok(Err(_elapsed)) => Err(SiadError::Unreachable(format!(
            "no connection to SQL Server {where_} within {ms} ms (siad.connect_timeout_ms); \
             check the host, port and firewall"
        ))),
        Err(join) if join.is_panic() => Err(SiadError::Unreachable(format!(
            "the TLS setup for SQL Server {where_} failed: no usable root certificates on this \
             system; install the ca-certificates package or set siad.ca_file"
        ))),
        Err(join) => Err(SiadError::Unreachable(format!(
            "connecting to SQL Server {where_} was cancelled ({join})"
        ))),
    }
}

async fn connect_following_redirect(
    mut config: tiberius::Config,
    plan: &ConnectPlan,
) -> Result<Conn, SiadError> {
    let (mut host, mut port) = (plan.target.host.clone(), plan.target.port);
    for _ in 0..2 {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| {
                SiadError::Unreachable(format!(
                    "cannot reach SQL Server at {host}:{port} ({e}); check the host and port in \
                     siad.url, that TCP/IP is enabled on the server and that no firewall blocks it"
                ))
            })?;
        // Latency matters more than throughput for these small queries.
        let _ = tcp.set_nodelay(true);
        match Client::connect(config.clone(), tcp.compat_write()).await {
            Ok(client) => return Ok(client),
            Err(TdsError::Routing {
                host: new_host,
                port: new_port,
            }) => {
                tracing::info!(%new_host, new_port, "SQL Server redirected the connection");
                config.host(&new_host);
                config.port(new_port);
                (host, port) = (new_host, new_port);
            }
            Err(e) => return Err(connect_error(e, plan)),
        }
    }
    Err(SiadError::Unreachable(
        "SQL Server redirected the connection more than once".to_owned(),
    ))
}

/// A connect failure in the operator's words.
pub(super) fn connect_error(e: TdsError, plan: &ConnectPlan) -> SiadError {
    let where_ = plan.describe();
    SiadError::Unreachable(match &e {
        TdsError::Server(t) if t.code() == LOGIN_FAILED => format!(
            "SQL Server {where_} refused the login ({}); check siad.user and \
             HIKBRIDGE__SIAD__PASSWORD (or siad.password_file)",
            t.message()
        ),
        TdsError::Server(t) if t.code() == CANNOT_OPEN_DATABASE => format!(
            "SQL Server {where_} cannot open the database ({}); check the database name in \
             siad.url and that the login may use it",
            t.message()
        ),
        TdsError::Tls(msg) => format!(
            "TLS with SQL Server {where_} failed ({msg}); the server certificate must be valid \
             for `{}` and signed by a trusted CA: set siad.ca_file to that CA's PEM, or (labs \
             only) siad.trust_server_certificate = true",
            plan.target.host
        ),
        other => format!("connecting to SQL Server {where_} failed: {other}"),
    })
}

/// How a query failed, which decides whether the client may be retried.
#[derive(Debug)]
pub(super) enum Failure {
    /// The connection broke: the client is unusable, a fresh one may work.
    Connection(String),
    /// No answer in time: the client is dropped (it may be mid-stream).
    Timeout(String),
    /// The server refused the SQL.
    Server(String),
    /// Values could not be decoded.
    Decode(String),
}

impl Failure {
    pub(super) fn into_error(self) -> SiadError {
        match self {
            Self::Connection(m) | Self::Timeout(m) => SiadError::Unreachable(m),
            Self::Server(m) => SiadError::Query(m),
            Self::Decode(m) => SiadError::Mapping(m),
        }
    }
}

pub(super) fn classify_query_error(e: TdsError, key: &str) -> Failure {
    match e {
        TdsError::Server(t) => Failure::Server(format!(
            "SQL Server error {} running {key}: {}; check that query in the configuration",
            t.code(),
            t.message()
        )),
        TdsError::Io { .. } | TdsError::Tls(_) | TdsError::Protocol(_) => Failure::Connection(
            format!("the connection to SIAD broke while running {key}: {e}"),
        ),
        other => Failure::Decode(format!("cannot decode the result of {key}: {other}")),
    }
}
