use super::*;
use crate::clients::KillSwitch;

fn key(k: &str) -> Bytes {
    Bytes::copy_from_slice(k.as_bytes())
}
