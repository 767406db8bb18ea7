//! The network edge: accept loop and one task per connection.
//!
//! A connection task reads whatever the socket has, parses every complete
//! request in the buffer (a frame is checked for completeness before it is
//! parsed), runs them in order, and writes all their replies with one
//! write: one flush per pipelined batch. Malformed input gets Redis's
//! `-ERR Protocol error: ...` and the connection is closed after it.
//!
//! Besides its socket the task waits on the client's
//! [`crate::mailbox::Mailbox`] (messages other clients and the server send
//! it) and on its kill switch. What the mailbox holds is written before the
//! next command runs and at the end of each batch, within the same single
//! flush. A write to a client that does not read can be interrupted by the
//! kill switch (output limit exceeded, CLIENT KILL), so a stuck peer never
//! pins its task.

use crate::clients::KillSwitch;
use crate::pause::PauseDecision;
use crate::session::Session;
use crate::shared::Shared;
use bytes::BytesMut;
use moat_resp::{parse_request, Frame, RequestLimits};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections until the task is dropped.
pub async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!("Accepting client connection: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let maxclients = shared.config.read().get_int("maxclients").unwrap_or(10000);
        if shared.clients.len() as i64 >= maxclients {
            shared.stats.rejected_connections.fetch_add(1, Relaxed);
            tokio::spawn(reject_connection(stream));
            continue;
        }
        if crate::protected::refuses(&shared, peer.ip()) {
            tokio::spawn(refuse_connection(stream, crate::protected::DENIED));
            continue;
        }
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(error) = serve_connection(stream, shared).await {
                tracing::debug!("Client closed connection: {error}");
            }
        });
    }
}

async fn refuse_connection(mut stream: TcpStream, reason: &'static [u8]) {
    let _ = stream.write_all(reason).await;
}

async fn reject_connection(mut stream: TcpStream) {
    let _ = stream
        .write_all(b"-ERR max number of clients reached\r\n")
        .await;
}

/// Bytes read from the socket per call, as Redis's PROTO_IOBUF_LEN.
const READ_CHUNK: usize = 16 * 1024;

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let addr = stream.peer_addr()?;
    let laddr = stream.local_addr()?;
    let fd = stream.as_raw_fd();
    let mut session = Session::new(shared.clone(), addr, laddr, fd);
    let kill = session.kill.clone();
    let mailbox = session.mailbox.clone();
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut output = BytesMut::with_capacity(READ_CHUNK);
    // Mailbox bytes in `output`, reported written after the flush.
    let mut from_mailbox = 0usize;
    loop {
        let mut protocol_error = None;
        loop {
            let limits = RequestLimits {
                max_bulk_len: shared.limits.max_bulk_len(),
                unauthenticated: session.auth_required(),
            };
            let argv = match parse_request(&mut input, &limits) {
                Ok(Some(argv)) => argv,
                Ok(None) => break,
                Err(error) => {
                    protocol_error = Some(error);
                    break;
                }
            };
            if argv.is_empty() {
                continue;
            }
            while let PauseDecision::WaitUntil(deadline) = shared.pause.decide(&shared, &argv) {
                aof_barrier(&shared, &mut session).await;
                flush(&mut stream, &mut output, &shared, &kill).await?;
                mailbox.written(std::mem::take(&mut from_mailbox), &shared);
                tokio::time::sleep_until(deadline).await;
            }
            // Messages that arrived before this command precede its reply.
            if mailbox.has_pending() {
                from_mailbox += mailbox.take_into(&mut output);
            }
            let reply = session.execute(argv);
            from_mailbox += std::mem::take(&mut session.mailbox_bytes_deferred);
            if !session.deferred.is_empty() {
                output.extend_from_slice(&session.deferred);
                session.deferred.clear();
            }
            if let Some(reply) = reply {
                reply.encode(session.client.protocol, &mut output);
            }
            if session.close_after_reply || kill.is_killed() {
                break;
            }
        }
        if let Some(error) = protocol_error {
            tracing::debug!(
                "Protocol error ({error}) from client: {}",
                session.client_info_line()
            );
            Frame::error(format!("ERR Protocol error: {error}"))
                .encode(session.client.protocol, &mut output);
            aof_barrier(&shared, &mut session).await;
            flush(&mut stream, &mut output, &shared, &kill).await?;
            return Ok(());
        }
        if mailbox.has_pending() {
            from_mailbox += mailbox.take_into(&mut output);
        }
        aof_barrier(&shared, &mut session).await;
        flush(&mut stream, &mut output, &shared, &kill).await?;
        mailbox.written(std::mem::take(&mut from_mailbox), &shared);
        if session.close_after_reply || kill.is_killed() {
            return Ok(());
        }
        let query_limit = shared.limits.query_buffer_limit();
        if input.len() > query_limit {
            tracing::warn!(
                "Closing client that reached max query buffer length: {}",
                session.client_info_line()
            );
            return Ok(());
        }
        session.info.lock().query_buffer = input.len();
        input.reserve(READ_CHUNK);
        tokio::select! {
            read = stream.read_buf(&mut input) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                shared.stats.total_net_input_bytes.fetch_add(n as u64, Relaxed);
            }
            // Something was pushed: the next turn of the loop writes it.
            _ = mailbox.ready() => {}
            _ = kill.killed() => return Ok(()),
        }
    }
}

/// No reply acknowledges a write before the AOF holds it as the fsync
/// policy promises (a write; under `always` an awaited group fsync).
async fn aof_barrier(shared: &Shared, session: &mut Session) {
    let offset = std::mem::take(&mut session.aof_offset);
    if offset > 0 {
        shared.aof.barrier(offset).await;
    }
}

async fn flush(
    stream: &mut TcpStream,
    output: &mut BytesMut,
    shared: &Shared,
    kill: &KillSwitch,
) -> std::io::Result<()> {
    if output.is_empty() {
        return Ok(());
    }
    // Biased towards the write: a client killed while its last replies
    // are writable (ACL SETUSER closing the caller) still gets them.
    tokio::select! {
        biased;
        written = stream.write_all(output) => written?,
        _ = kill.killed() => {
            return Err(std::io::Error::other("client killed while writing"));
        }
    }
    shared
        .stats
        .total_net_output_bytes
        .fetch_add(output.len() as u64, Relaxed);
    output.clear();
    // Do not keep a huge buffer around after one large reply.
    if output.capacity() > 1024 * 1024 {
        *output = BytesMut::with_capacity(READ_CHUNK);
    }
    Ok(())
}
