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
//!
//! Replies a client does not read are bounded: while a flush waits, the
//! task reads no more requests, and a batch whose replies pass 4 MB is
//! written before it goes on (so huge pipelined GETs cost about one reply
//! plus 4 MB). With `client-output-buffer-limit normal` set, the batch
//! runs on as in Redis and the limit closes the client instead.
//!
//! A client blocked in BLPOP and friends ([`crate::blocked`]) parses
//! nothing more (its input waits in the buffer, as in Redis) and also waits
//! on its command's deadline; a mailbox wake-up or the deadline resumes
//! the command, whose reply is then written like any other.

use crate::clients::KillSwitch;
use crate::conn_limits::OutputGuard;
use crate::pause::PauseDecision;
use crate::session::{ReplyMode, Session};
use crate::shared::Shared;
use bytes::BytesMut;
use moat_config::{ClientClass, OutputBufferLimit};
use moat_resp::{Frame, RequestLimits, RequestParser};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

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
/// Output past which a batch is written before its next command runs.
const BATCH_FLUSH_BYTES: usize = 4 * 1024 * 1024;

async fn serve_connection(mut stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let keepalive = shared.config.read().get_int("tcp-keepalive").unwrap_or(300);
    crate::conn_limits::set_keepalive(stream.as_raw_fd(), keepalive);
    let addr = stream.peer_addr()?;
    let laddr = stream.local_addr()?;
    let fd = stream.as_raw_fd();
    let mut session = Session::new(shared.clone(), addr, laddr, fd);
    let kill = session.kill.clone();
    let mailbox = session.mailbox.clone();
    // Both buffers are allocated when first used and released by an idle
    // connection (see `Mailbox::ask_to_release_buffers`): a connection
    // that sits in a pool costs its session, not 32 KiB of buffers.
    let mut input = BytesMut::new();
    // Resumes a request that arrives in several reads instead of
    // rescanning it from its start after each one.
    let mut parser = RequestParser::new();
    // The query buffer length last published for CLIENT LIST.
    let mut published_qbuf = 0;
    // Every request's arguments, in one allocation reused.
    let mut argv = Vec::new();
    let mut output = BytesMut::new();
    // Mailbox bytes in `output`, reported written after the flush.
    let mut from_mailbox = 0usize;
    // Replies a client does not read are bounded by its output limit.
    let mut guard = OutputGuard::default();
    // The blocked command's deadline passed while waiting.
    let mut timed_out = false;
    loop {
        let mut protocol_error = None;
        // Commands run since the last read.
        let mut batch_len = 0usize;
        let out_limit = reply_limit(&shared, &session);
        // A blocked client runs nothing else until its command answers.
        if session.is_blocked() && (std::mem::take(&mut timed_out) || mailbox.take_wake()) {
            // What arrived before the wake-up (an invalidation sent by the
            // write that woke it) precedes the reply.
            if mailbox.has_pending() {
                from_mailbox += mailbox.take_into(&mut output);
            }
            let reply = if session
                .block_deadline()
                .is_some_and(|d| d <= Instant::now())
            {
                session.block_timed_out()
            } else {
                session.resume_blocked()
            };
            write_reply(&mut session, reply, &mut output, &mut from_mailbox);
        }
        while !session.is_blocked() {
            let limits = RequestLimits {
                max_bulk_len: shared.limits.max_bulk_len(),
                unauthenticated: session.auth_required(),
            };
            match parser.parse_into(&mut input, &limits, &mut argv) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    protocol_error = Some(error);
                    break;
                }
            };
            if argv.is_empty() {
                continue;
            }
            while let PauseDecision::WaitUntil(deadline) = shared.pause.decide(&shared, &argv) {
                session.flush_stats();
                if session.aof_offset > 0 {
                    aof_barrier(&shared, &mut session, false).await;
                }
                flush(&mut stream, &mut output, &shared, &kill, None).await?;
                mailbox.written(std::mem::take(&mut from_mailbox), &shared);
                shared.pause.wait(deadline).await;
            }
            // Messages that arrived before this command precede its reply.
            if mailbox.has_pending() {
                from_mailbox += mailbox.take_into(&mut output);
            }
            batch_len += 1;
            let reply = session.execute_in(&shared, &mut argv);
            // The arguments hold the read buffer: let it go before the
            // next read wants to reuse it.
            argv.clear();
            write_reply(&mut session, reply, &mut output, &mut from_mailbox);
            if let Some(limit) = out_limit {
                if guard.exceeded(output.len(), limit, crate::shared::now_ms()) {
                    close_for_output_limit(&shared, &session);
                    return Ok(());
                }
            }
            // Without a configured limit, large replies are written before
            // the batch goes on, so a client that does not read makes the
            // server hold about one reply plus this much, not the replies
            // of a whole batch. With one, the batch runs on as in Redis and
            // the limit decides.
            if out_limit.is_none() && output.len() >= BATCH_FLUSH_BYTES {
                flush_replies(&mut stream, &mut output, &session, &mut guard, out_limit).await?;
                mailbox.written(std::mem::take(&mut from_mailbox), &shared);
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
            // Under CLIENT REPLY OFF (or the command SKIP skips) Redis's
            // addReplyError queues nothing, and a client marked "close
            // after reply" with no reply pending is never closed: it stays
            // connected, reading but running nothing, until it hangs up.
            let silenced = matches!(session.reply_mode, ReplyMode::Off | ReplyMode::Skipping);
            // `reply_text`, not `Display`: the byte of "expected '$', got
            // 'X'" goes out raw (not UTF-8 encoded) and a CR or LF as a
            // space, as Redis's addReplyErrorFormat sends them.
            let mut text = b"ERR ".to_vec();
            text.extend_from_slice(&error.reply_text());
            // Counted in INFO's errorstats like any error reply, also when
            // it is not sent (Redis's afterErrorReply).
            shared.stats.count_error(&text);
            if !silenced {
                Frame::Error(text.into()).encode(session.client.protocol, &mut output);
            }
            if session.aof_offset > 0 {
                aof_barrier(&shared, &mut session, false).await;
            }
            flush(&mut stream, &mut output, &shared, &kill, None).await?;
            if silenced {
                mailbox.close();
                drain_until_closed(&mut stream, &mut input, &session).await;
            }
            return Ok(());
        }
        // The batch's statistics count before its replies are seen.
        session.flush_stats();
        // BCAST invalidations of what the batch changed follow its replies.
        session.tracking_broadcast_if_due();
        // A single reply goes out at once: its client waits for nothing
        // else, and the detour through the run queue would cost more than
        // it saves. Pipelined batches wait for the other ready connections.
        let yielded = batch_len > 1 && !output.is_empty();
        if yielded {
            crate::signal::yield_to_ready_connections().await;
        }
        if mailbox.has_pending() {
            from_mailbox += mailbox.take_into(&mut output);
        }
        if session.close_after_reply {
            // Gone for everyone from now on (QUIT, CLIENT KILL of itself),
            // as a client Redis frees, though its last reply is pending.
            mailbox.close();
        }
        if session.aof_offset > 0 {
            aof_barrier(&shared, &mut session, yielded).await;
        }
        flush_replies(&mut stream, &mut output, &session, &mut guard, out_limit).await?;
        mailbox.written(std::mem::take(&mut from_mailbox), &shared);
        if session.close_after_reply || kill.is_killed() {
            return Ok(());
        }
        let query_limit = shared.limits.query_buffer_limit();
        if input.len() > query_limit {
            tracing::warn!(
                "Closing client that reached max query buffer length: {} (qbuf initial bytes: {})",
                session.client_info_line(),
                moat_resp::repr(&input[..input.len().min(64)])
            );
            return Ok(());
        }
        if input.len() != published_qbuf {
            published_qbuf = input.len();
            session.info.lock().query_buffer = published_qbuf;
        }
        if mailbox.take_release_request() {
            if input.is_empty() {
                input = BytesMut::new();
            }
            if output.is_empty() {
                output = BytesMut::new();
            }
        }
        // A connection without a read buffer (new, or idle and released)
        // waits for readiness first, so one that waits holds no buffer it
        // does not need. Once it has one it reads with `read_buf`, which
        // clears the socket's readiness after a short read: waiting on
        // readiness and then `try_read_buf` would leave it set, and cost
        // every pipelined batch a second read that finds nothing.
        let buffer_held = input.capacity() > 0;
        // Biased, so no random draw per wait. The deadline comes before
        // the socket so a blocked client whose socket always has input
        // still times out; the mailbox is looked at after every command
        // anyway, so the socket may come before it.
        let n = tokio::select! {
            // A kill (ACL DELUSER, CLIENT KILL) that came before the next
            // request wins over it, as Redis closes such a client before
            // reading from it again.
            biased;
            _ = kill.killed() => return Ok(()),
            _ = sleep_until(session.block_deadline()) => {
                timed_out = true;
                continue;
            }
            read = read_request_bytes(&mut stream, &mut input, buffer_held) => match read? {
                Some(n) => n,
                None => continue,
            },
            // Something was pushed: the next turn of the loop writes it.
            _ = mailbox.ready() => continue,
        };
        if n == 0 {
            return Ok(());
        }
        mailbox.hold_buffers();
        // Redis's `lastinteraction`: reading counts, for `timeout`.
        session.info.lock().last_interaction_ms = crate::shared::now_ms();
        let stats = &shared.stats;
        stats.total_net_input_bytes.fetch_add(n as u64, Relaxed);
        stats.total_reads_processed.fetch_add(1, Relaxed);
    }
}

/// A client whose protocol error got no reply (CLIENT REPLY OFF): what it
/// sends is read and dropped, nothing is written to it any more, until it
/// hangs up, is killed (CLIENT KILL, `timeout`), or has sent more than the
/// query buffer limit, which Redis, whose buffer keeps it all, closes.
async fn drain_until_closed(stream: &mut TcpStream, input: &mut BytesMut, session: &Session) {
    let shared = &session.shared;
    let mut pending = input.len();
    input.clear();
    let mut discarded = BytesMut::new();
    loop {
        if pending > shared.limits.query_buffer_limit() {
            tracing::warn!(
                "Closing client that reached max query buffer length: {}",
                session.client_info_line()
            );
            return;
        }
        session.info.lock().query_buffer = pending;
        input.reserve(READ_CHUNK);
        let read = tokio::select! {
            biased;
            _ = session.kill.killed() => return,
            read = stream.read_buf(input) => read,
            _ = session.mailbox.ready() => {
                // Nothing reaches this client any more.
                let taken = session.mailbox.take_into(&mut discarded);
                discarded.clear();
                session.mailbox.written(taken, shared);
                continue;
            }
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                pending += n;
                input.clear();
                // Reading counts as interaction for `timeout`, as in Redis.
                session.info.lock().last_interaction_ms = crate::shared::now_ms();
                shared
                    .stats
                    .total_net_input_bytes
                    .fetch_add(n as u64, Relaxed);
                shared.stats.total_reads_processed.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Reads what the socket has into `input`: the byte count (0 at end of
/// stream), or `None` for a readiness event that had no data (the first
/// one after accept is one), after which a connection without a buffer
/// still holds none.
async fn read_request_bytes(
    stream: &mut TcpStream,
    input: &mut BytesMut,
    buffer_held: bool,
) -> std::io::Result<Option<usize>> {
    if buffer_held {
        input.reserve(READ_CHUNK);
        return stream.read_buf(input).await.map(Some);
    }
    stream.readable().await?;
    input.reserve(READ_CHUNK);
    match stream.try_read_buf(input) {
        Ok(n) => Ok(Some(n)),
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
            *input = BytesMut::new();
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// Appends what a command wrote before its reply, its reply, then what
/// follows the reply.
fn write_reply(
    session: &mut Session,
    reply: Option<Frame>,
    output: &mut BytesMut,
    from_mailbox: &mut usize,
) {
    *from_mailbox += std::mem::take(&mut session.mailbox_bytes_deferred);
    if !session.deferred.is_empty() {
        output.extend_from_slice(&session.deferred);
        session.deferred.clear();
    }
    if let Some(reply) = reply {
        reply.encode(session.client.protocol, output);
    }
    // What the client's own command raised for it follows the reply, as
    // in Redis 7.2, whether or not a reply was sent: its messages, then
    // its tracking invalidations (Redis's pending invalidations).
    if !session.own_pushes.is_empty() {
        output.extend_from_slice(&session.own_pushes);
        session.own_pushes.clear();
    }
    if !session.after_reply.is_empty() {
        output.extend_from_slice(&session.after_reply);
        session.after_reply.clear();
    }
}

/// A blocked command's timeout; never for no deadline.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The output limit that applies to this client's replies: the normal
/// class, unless every limit of it is 0 (the default: unlimited).
/// Subscribers' and monitors' output is bounded by their mailbox.
fn reply_limit(shared: &Shared, session: &Session) -> Option<OutputBufferLimit> {
    if session.monitor || session.subscriptions.total() > 0 {
        return None;
    }
    let limit = shared.limits.output_buffer_limit(ClientClass::Normal);
    (limit.hard_bytes > 0 || limit.soft_bytes > 0).then_some(limit)
}

fn close_for_output_limit(shared: &Shared, session: &Session) {
    shared
        .stats
        .client_output_buffer_limit_disconnections
        .fetch_add(1, Relaxed);
    tracing::warn!(
        "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
        session.client_info_line()
    );
}

/// [`flush`] under the client's reply limit, logging a disconnection.
async fn flush_replies(
    stream: &mut TcpStream,
    output: &mut BytesMut,
    session: &Session,
    guard: &mut OutputGuard,
    limit: Option<OutputBufferLimit>,
) -> std::io::Result<()> {
    let shared = &session.shared;
    let limited = limit.map(|limit| (guard, limit));
    // Large unsent replies count for `maxmemory-clients` while they wait;
    // small ones are not worth a lock.
    let published = output.len() > READ_CHUNK;
    if published {
        session.info.lock().reply_pending = output.len();
    }
    let result = flush(stream, output, shared, &session.kill, limited).await;
    if published {
        session.info.lock().reply_pending = 0;
    }
    if let Err(error) = &result {
        if error.kind() == std::io::ErrorKind::OutOfMemory {
            close_for_output_limit(shared, session);
        }
    }
    result
}

/// No reply acknowledges a write before the AOF holds it as the fsync
/// policy promises (a write; under `always` an awaited group fsync).
/// Callers test `aof_offset` first, so that the common case (no AOF, or
/// nothing written) builds no future.
async fn aof_barrier(shared: &Shared, session: &mut Session, yielded: bool) {
    let offset = std::mem::take(&mut session.aof_offset);
    if offset > 0 && shared.aof.barrier(offset, yielded).await {
        crate::aof::waitaof::wake_waiters(shared, false);
    }
}

/// Writes `output`. With a limit, the unsent rest is checked against it
/// after every partial write and when a running soft limit expires; going
/// over fails the flush with `ErrorKind::OutOfMemory`.
async fn flush(
    stream: &mut TcpStream,
    output: &mut BytesMut,
    shared: &Shared,
    kill: &KillSwitch,
    mut limited: Option<(&mut OutputGuard, OutputBufferLimit)>,
) -> std::io::Result<()> {
    if output.is_empty() {
        return Ok(());
    }
    let mut written = 0;
    // Most batches fit the socket's buffer: one write, nothing to wait on.
    match stream.try_write(output) {
        Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
        Ok(n) => {
            written = n;
            if let Some((guard, limit)) = limited.as_mut() {
                if guard.exceeded(output.len() - written, *limit, crate::shared::now_ms()) {
                    return Err(std::io::ErrorKind::OutOfMemory.into());
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(error) => return Err(error),
    }
    while written < output.len() {
        let deadline = limited
            .as_ref()
            .and_then(|(guard, limit)| guard.soft_deadline_ms(*limit));
        let soft_expiry = async move {
            match deadline {
                Some(at) => {
                    let wait = (at - crate::shared::now_ms()).max(0) as u64;
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await
                }
                None => std::future::pending().await,
            }
        };
        // Biased towards the write: a client killed while its last replies
        // are writable (ACL SETUSER closing the caller) still gets them.
        tokio::select! {
            biased;
            n = stream.write(&output[written..]) => {
                let n = n?;
                if n == 0 {
                    return Err(std::io::ErrorKind::WriteZero.into());
                }
                written += n;
            }
            _ = kill.killed() => {
                return Err(std::io::Error::other("client killed while writing"));
            }
            _ = soft_expiry => {}
        }
        if let Some((guard, limit)) = limited.as_mut() {
            if guard.exceeded(output.len() - written, *limit, crate::shared::now_ms()) {
                return Err(std::io::ErrorKind::OutOfMemory.into());
            }
        }
    }
    let stats = &shared.stats;
    stats
        .total_net_output_bytes
        .fetch_add(output.len() as u64, Relaxed);
    stats.total_writes_processed.fetch_add(1, Relaxed);
    output.clear();
    // Do not keep a huge buffer around after one large reply.
    if output.capacity() > 1024 * 1024 {
        *output = BytesMut::with_capacity(READ_CHUNK);
    }
    Ok(())
}
