//! A small blocking RESP client for tests.
//!
//! Tests need to see the server's replies exactly as sent (the frame type,
//! not a library's interpretation of it), to pipeline, to send malformed
//! bytes on purpose and to notice when the server hangs up. A real client
//! library hides all of that, so this one is deliberately thin: requests are
//! encoded here as multibulk, replies are decoded by `moat_resp`.

use crate::error::{Result, TestkitError};
use bytes::BytesMut;
use moat_resp::{decode_frame, Frame, Protocol};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a read may wait before the client reports [`TestkitError::Timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection to a server.
#[derive(Debug)]
pub struct Client {
    stream: TcpStream,
    /// Bytes received but not yet decoded into a frame.
    pending: BytesMut,
    protocol: Protocol,
    timeout: Duration,
}

impl Client {
    /// Connects to `addr` with [`DEFAULT_TIMEOUT`] for every read and write.
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client> {
        let stream = TcpStream::connect(addr).map_err(|e| TestkitError::io("connect", e))?;
        stream
            .set_nodelay(true)
            .map_err(|e| TestkitError::io("set TCP_NODELAY", e))?;
        let mut client = Client {
            stream,
            pending: BytesMut::with_capacity(16 * 1024),
            protocol: Protocol::Resp2,
            timeout: DEFAULT_TIMEOUT,
        };
        client.set_timeout(DEFAULT_TIMEOUT)?;
        Ok(client)
    }

    /// Connects to `127.0.0.1:port`.
    pub fn connect_port(port: u16) -> Result<Client> {
        Client::connect(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    /// Bounds every later read and write by `timeout`.
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<()> {
        self.timeout = timeout;
        self.stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| self.stream.set_write_timeout(Some(timeout)))
            .map_err(|e| TestkitError::io("set socket timeout", e))
    }

    /// The protocol negotiated by the last successful [`Client::hello`].
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Sends one command and reads its reply. Error replies are `Ok(Frame::Error)`;
    /// only transport failures are `Err`.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Frame> {
        self.send(args)?;
        self.read_frame()
    }

    /// Sends one command without waiting for its reply (for pipelining).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<()> {
        self.send_raw(&encode_command(args))
    }

    /// Writes bytes exactly as given, for protocol-level tests.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream
            .write_all(bytes)
            .map_err(|e| TestkitError::io("send", e))
    }

    /// Reads the next complete frame: a reply or an out-of-band push.
    pub fn read_frame(&mut self) -> Result<Frame> {
        loop {
            if let Some(frame) = decode_frame(&mut self.pending)? {
                return Ok(frame);
            }
            self.fill()?;
        }
    }

    /// The frames that have already arrived, without waiting for more.
    pub fn read_arrived(&mut self) -> Result<Vec<Frame>> {
        self.stream
            .set_nonblocking(true)
            .map_err(|e| TestkitError::io("set non-blocking", e))?;
        let mut chunk = [0u8; 16 * 1024];
        let drained = loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => break Err(TestkitError::ConnectionClosed),
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                    break Err(TestkitError::ConnectionClosed)
                }
                Err(e) => break Err(TestkitError::io("receive", e)),
            }
        };
        self.stream
            .set_nonblocking(false)
            .map_err(|e| TestkitError::io("set blocking", e))?;
        let mut frames = Vec::new();
        while let Some(frame) = decode_frame(&mut self.pending)? {
            frames.push(frame);
        }
        // A closed connection still yields what it sent before closing.
        match drained {
            Err(TestkitError::ConnectionClosed) if !frames.is_empty() => Ok(frames),
            other => other.map(|()| frames),
        }
    }

    /// Reads the next frame and checks that it is a push (RESP3 `>`, or the
    /// plain array a RESP2 pub/sub connection receives).
    pub fn read_push(&mut self) -> Result<Vec<Frame>> {
        match self.read_frame()? {
            Frame::Push(items) | Frame::Array(items) => Ok(items),
            other => Err(TestkitError::Tool(format!(
                "expected a push, got {other:?}"
            ))),
        }
    }

    /// Returns whatever bytes are buffered or arrive next, undecoded.
    pub fn read_raw(&mut self) -> Result<Vec<u8>> {
        if self.pending.is_empty() {
            self.fill()?;
        }
        Ok(self.pending.split().to_vec())
    }

    /// Switches protocol with `HELLO <version>`, returning the server's reply.
    pub fn hello(&mut self, protocol: Protocol) -> Result<Frame> {
        let version = match protocol {
            Protocol::Resp2 => "2",
            Protocol::Resp3 => "3",
        };
        let reply = self.call(&["HELLO", version])?;
        if !reply.is_error() {
            self.protocol = protocol;
        }
        Ok(reply)
    }

    /// `HELLO 3`.
    pub fn hello3(&mut self) -> Result<Frame> {
        self.hello(Protocol::Resp3)
    }

    /// Waits until the server closes the connection, discarding anything it
    /// still sends; fails with [`TestkitError::Timeout`] if it never does.
    pub fn wait_closed(&mut self) -> Result<()> {
        loop {
            match self.fill() {
                Err(TestkitError::ConnectionClosed) => return Ok(()),
                Err(other) => return Err(other),
                Ok(()) => self.pending.clear(),
            }
        }
    }

    /// Reads once from the socket into `pending`.
    fn fill(&mut self) -> Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => Err(TestkitError::ConnectionClosed),
            Ok(n) => {
                self.pending.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                Err(TestkitError::Timeout(self.timeout))
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => Err(TestkitError::ConnectionClosed),
            Err(e) => Err(TestkitError::io("receive", e)),
        }
    }
}

/// Encodes a command as a RESP multibulk, the form every client library sends.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_multibulk() {
        assert_eq!(
            encode_command(&["SET", "k", ""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        assert_eq!(encode_command::<&str>(&[]), b"*0\r\n");
    }
}
