//! RESP, the Redis serialisation protocol, in both of its versions.
//!
//! Three jobs live here and nothing else:
//!
//! * [`parse_request`] turns the bytes a client sent into command arguments.
//!   Clients only ever send arrays of bulk strings (or "inline" lines typed
//!   into telnet), so the request side is a narrow, fast parser that knows
//!   Redis's limits and words its errors exactly as Redis does
//!   (`Protocol error: invalid bulk length`). Connections keep a
//!   [`RequestParser`], which resumes a partial request instead of
//!   rescanning it on every read.
//! * [`Frame`] is a reply value; [`Frame::encode`] writes it for the
//!   protocol version the connection negotiated with `HELLO`. RESP3 types
//!   (maps, sets, doubles, nulls, pushes) are downgraded for RESP2 clients
//!   the way Redis downgrades them, so handlers build one reply for both.
//! * [`decode_frame`] reads any RESP2/RESP3 reply; tests and the
//!   differential harness use it to talk to servers as a client would.
//!
//! Both parsers are incremental: a buffer that does not yet hold a complete
//! frame is `Ok(None)`, never an error, and nothing is consumed from it.
//! A frame is checked for completeness before anything is allocated for it.

mod decode;
mod double;
mod encode;
mod error;
mod frame;
mod inline;
mod numbers;
mod request;
mod split_args;

pub use decode::decode_frame;
pub use double::format_double;
pub use error::{DecodeError, ProtocolError};
pub use frame::{c_str, c_str_max, map_newlines, Frame, Protocol};
pub use numbers::string2ll;
pub use request::{parse_request, RequestLimits, RequestParser};
pub use split_args::{is_space, repr, repr_into, split_args};
