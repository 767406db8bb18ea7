//! Redis's HyperLogLog representation, byte for byte.
//!
//! An HLL is a plain string value, so its bytes are visible to GET, DUMP,
//! replication and RDB files; to stay interchangeable with Redis the bytes
//! must be exactly the ones Redis writes, not just an equivalent sketch.
//! That fixes everything here: the 16-byte header (`HYLL`, the encoding,
//! three unused bytes, the cached cardinality in little-endian with its
//! top bit meaning "stale"), the dense layout (16384 six-bit registers
//! packed from the least significant bit), and the sparse opcodes with the
//! exact splitting and merging steps Redis performs on each update, since
//! a different but valid sparse sequence would be different bytes.
//!
//! Sparse opcodes: `00xxxxxx` ZERO (1..64 zero registers), `01xxxxxx
//! yyyyyyyy` XZERO (1..16384 zero registers), `1vvvvvxx` VAL (1..4
//! registers of value 1..32). A register above 32, or a sparse string
//! growing past `hll-sparse-max-bytes`, promotes the sketch to dense.

/// Register index bits.
const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
const Q: u32 = 64 - P;
pub const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
pub const HEADER_LEN: usize = 16;
pub const DENSE_LEN: usize = HEADER_LEN + (REGISTERS * 6).div_ceil(8);
const ENCODING_DENSE: u8 = 0;
const ENCODING_SPARSE: u8 = 1;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
/// `0.5 / ln(2)`.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Why a string cannot be used as an HLL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SketchError {
    /// Not an HLL at all (`WRONGTYPE Key is not a valid HyperLogLog string value.`).
    NotHll,
    /// Looks like one but its registers do not add up (`INVALIDOBJ ...`).
    Corrupted,
}

/// Redis's `isHLLObjectOrReply` header checks.
pub fn validate(bytes: &[u8]) -> Result<(), SketchError> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != b"HYLL" || bytes[4] > ENCODING_SPARSE {
        return Err(SketchError::NotHll);
    }
    if bytes[4] == ENCODING_DENSE && bytes.len() != DENSE_LEN {
        return Err(SketchError::NotHll);
    }
    Ok(())
}

/// An empty sketch as PFADD creates it: sparse, one XZERO covering every
/// register, cached cardinality 0 (valid).
pub fn new_sparse() -> Vec<u8> {
    let mut bytes = vec![0u8; HEADER_LEN];
    bytes[..4].copy_from_slice(b"HYLL");
    bytes[4] = ENCODING_SPARSE;
    let mut remaining = REGISTERS;
    while remaining > 0 {
        let run = remaining.min(SPARSE_XZERO_MAX_LEN);
        push_xzero(&mut bytes, run);
        remaining -= run;
    }
    bytes
}

pub fn is_dense(bytes: &[u8]) -> bool {
    bytes[4] == ENCODING_DENSE
}

/// The cached cardinality, when it is still valid.
pub fn cached_cardinality(bytes: &[u8]) -> Option<u64> {
    let card: [u8; 8] = bytes[8..16].try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

pub fn store_cardinality(bytes: &mut [u8], card: u64) {
    bytes[8..16].copy_from_slice(&card.to_le_bytes());
}

pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

/// MurmurHash64A as Redis uses it (little-endian reads, any platform).
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element falls in and the length of its `000..1` run.
pub fn register_and_run(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, 0xadc8_3b19);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

fn dense_get(registers: &[u8], index: usize) -> u8 {
    let byte = index * 6 / 8;
    let shift = (index * 6) & 7;
    let b0 = u16::from(registers[byte]);
    let b1 = u16::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> shift) | (b1 << (8 - shift))) as u8) & REGISTER_MAX
}

fn dense_put(registers: &mut [u8], index: usize, value: u8) {
    let byte = index * 6 / 8;
    let shift = (index * 6) & 7;
    let v = u16::from(value);
    registers[byte] &= !((u16::from(REGISTER_MAX) << shift) as u8);
    registers[byte] |= (v << shift) as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next &= !((u16::from(REGISTER_MAX) >> (8 - shift)) as u8);
        *next |= (v >> (8 - shift)) as u8;
    }
}

/// Raises register `index` to `value` in a dense sketch; true if it grew.
fn dense_raise(bytes: &mut [u8], index: usize, value: u8) -> bool {
    let registers = &mut bytes[HEADER_LEN..];
    if value > dense_get(registers, index) {
        dense_put(registers, index, value);
        true
    } else {
        false
    }
}

/// One decoded sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Zero(usize),
    Xzero(usize),
    Val(u8, usize),
}

impl Op {
    fn decode(bytes: &[u8], at: usize) -> Option<(Op, usize)> {
        let b = *bytes.get(at)?;
        if b & 0x80 != 0 {
            Some((Op::Val(((b >> 2) & 0x1f) + 1, usize::from(b & 0x3) + 1), 1))
        } else if b & 0x40 != 0 {
            let low = *bytes.get(at + 1)?;
            Some((
                Op::Xzero(((usize::from(b & 0x3f) << 8) | usize::from(low)) + 1),
                2,
            ))
        } else {
            Some((Op::Zero(usize::from(b & 0x3f) + 1), 1))
        }
    }

    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::Xzero(n) | Op::Val(_, n) => n,
        }
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        push_xzero(out, len);
    } else {
        out.push(len as u8 - 1);
    }
}

fn push_xzero(out: &mut Vec<u8>, len: usize) {
    let l = len - 1;
    out.push(0x40 | (l >> 8) as u8);
    out.push((l & 0xff) as u8);
}

/// The dense form of a sparse sketch (header and cache carried over).
fn sparse_to_dense(bytes: &[u8]) -> Result<Vec<u8>, SketchError> {
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..HEADER_LEN].copy_from_slice(&bytes[..HEADER_LEN]);
    dense[4] = ENCODING_DENSE;
    let mut index = 0;
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let (op, len) = Op::decode(bytes, at).ok_or(SketchError::Corrupted)?;
        if let Op::Val(value, run) = op {
            for i in index..index + run {
                if i >= REGISTERS {
                    return Err(SketchError::Corrupted);
                }
                dense_put(&mut dense[HEADER_LEN..], i, value);
            }
        }
        index += op.span();
        at += len;
    }
    if index != REGISTERS {
        return Err(SketchError::Corrupted);
    }
    Ok(dense)
}

/// Converts to dense in place; true if the sketch was sparse.
pub fn promote(bytes: &mut Vec<u8>) -> Result<bool, SketchError> {
    if is_dense(bytes) {
        return Ok(false);
    }
    *bytes = sparse_to_dense(bytes)?;
    Ok(true)
}

/// Raises register `index` to `value`, as `hllSparseSet`/`hllDenseSet`
/// do; true if the register grew. The caller invalidates the cache.
pub fn raise(
    bytes: &mut Vec<u8>,
    index: usize,
    value: u8,
    sparse_max_bytes: usize,
) -> Result<bool, SketchError> {
    if is_dense(bytes) {
        return Ok(dense_raise(bytes, index, value));
    }
    if value > SPARSE_VAL_MAX_VALUE {
        promote(bytes)?;
        return Ok(dense_raise(bytes, index, value));
    }
    // Step 1: the opcode covering `index`, and the one before it.
    let mut at = HEADER_LEN;
    let mut first = 0;
    let mut prev = None;
    let (op, op_len) = loop {
        let (op, len) = Op::decode(bytes, at).ok_or(SketchError::Corrupted)?;
        if index < first + op.span() {
            break (op, len);
        }
        prev = Some(at);
        at += len;
        first += op.span();
    };
    // Step 2: the in-place cases.
    match op {
        Op::Val(old, _) if old >= value => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            bytes[at] = val_byte(value, 1);
            merge_adjacent_values(bytes, prev.unwrap_or(HEADER_LEN));
            return Ok(true);
        }
        _ => {}
    }
    // Step 3: split the opcode around the register.
    let last = first + op.span() - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Val(current, _) => {
            if index != first {
                seq.push(val_byte(current, index - first));
            }
            seq.push(val_byte(value, 1));
            if index != last {
                seq.push(val_byte(current, last - index));
            }
        }
        Op::Zero(_) | Op::Xzero(_) => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_byte(value, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
    }
    if seq.len() > op_len && bytes.len() + seq.len() - op_len > sparse_max_bytes {
        promote(bytes)?;
        return Ok(dense_raise(bytes, index, value));
    }
    bytes.splice(at..at + op_len, seq);
    // Step 4: merge runs of equal values the split left side by side.
    merge_adjacent_values(bytes, prev.unwrap_or(HEADER_LEN));
    Ok(true)
}

/// Redis's step 4: from `start`, look at up to five opcodes and fold two
/// neighbouring VALs of the same value into one while the run fits.
fn merge_adjacent_values(bytes: &mut Vec<u8>, start: usize) {
    let mut at = start;
    let mut budget = 5;
    while at < bytes.len() && budget > 0 {
        budget -= 1;
        let Some((op, len)) = Op::decode(bytes, at) else {
            return;
        };
        let Op::Val(value, run) = op else {
            at += len;
            continue;
        };
        if let Some((Op::Val(next_value, next_run), _)) = Op::decode(bytes, at + 1) {
            if next_value == value && run + next_run <= SPARSE_VAL_MAX_LEN {
                bytes[at + 1] = val_byte(value, run + next_run);
                bytes.remove(at);
                continue;
            }
        }
        at += 1;
    }
}

/// How many registers hold each value (`reghisto`).
fn histogram(bytes: &[u8]) -> Result<[u32; 64], SketchError> {
    let mut histo = [0u32; 64];
    if is_dense(bytes) {
        let registers = &bytes[HEADER_LEN..];
        for i in 0..REGISTERS {
            histo[usize::from(dense_get(registers, i))] += 1;
        }
        return Ok(histo);
    }
    let mut index = 0;
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let (op, len) = Op::decode(bytes, at).ok_or(SketchError::Corrupted)?;
        match op {
            Op::Zero(n) | Op::Xzero(n) => histo[0] += n as u32,
            Op::Val(v, n) => histo[usize::from(v)] += n as u32,
        }
        index += op.span();
        at += len;
    }
    if index != REGISTERS {
        return Err(SketchError::Corrupted);
    }
    Ok(histo)
}

/// Every register's value, for merging (PFMERGE, multi-key PFCOUNT).
pub fn registers(bytes: &[u8]) -> Result<Vec<u8>, SketchError> {
    if is_dense(bytes) {
        let registers = &bytes[HEADER_LEN..];
        return Ok((0..REGISTERS).map(|i| dense_get(registers, i)).collect());
    }
    let mut out = Vec::with_capacity(REGISTERS);
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let (op, len) = Op::decode(bytes, at).ok_or(SketchError::Corrupted)?;
        let value = match op {
            Op::Val(v, _) => v,
            _ => 0,
        };
        out.extend(std::iter::repeat_n(value, op.span()));
        if out.len() > REGISTERS {
            return Err(SketchError::Corrupted);
        }
        at += len;
    }
    if out.len() != REGISTERS {
        return Err(SketchError::Corrupted);
    }
    Ok(out)
}

/// The cardinality estimate from Otmar Ertl's "New cardinality estimation
/// algorithms for HyperLogLog sketches", as Redis computes it.
pub fn estimate(bytes: &[u8]) -> Result<u64, SketchError> {
    Ok(estimate_from_histogram(&histogram(bytes)?))
}

/// The estimate of raw registers (one byte each).
pub fn estimate_registers(registers: &[u8]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in registers {
        histo[usize::from(r.min(63))] += 1;
    }
    estimate_from_histogram(&histo)
}

fn estimate_from_histogram(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let q = Q as usize;
    let mut z = m * tau((m - f64::from(histo[q + 1])) / m);
    for j in (1..=q).rev() {
        z += f64::from(histo[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histo[0]) / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// `PFDEBUG DECODE`: the sparse opcodes as text (`Z:n XZ:n v:value,len`).
pub fn decode_sparse(bytes: &[u8]) -> Result<String, SketchError> {
    let mut parts = Vec::new();
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        let (op, len) = Op::decode(bytes, at).ok_or(SketchError::Corrupted)?;
        parts.push(match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::Xzero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        });
        at += len;
    }
    Ok(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_sketch_is_one_xzero() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert_eq!(&s[16..], &[0x7f, 0xff]);
        assert_eq!(cached_cardinality(&s), Some(0));
        assert_eq!(estimate(&s), Ok(0));
    }

    #[test]
    fn sparse_and_dense_agree() {
        let mut sparse = new_sparse();
        for i in 0..2000u32 {
            let (index, run) = register_and_run(format!("element:{i}").as_bytes());
            raise(&mut sparse, index, run, usize::MAX).unwrap();
        }
        assert!(!is_dense(&sparse));
        let regs = registers(&sparse).unwrap();
        let mut dense = sparse.clone();
        promote(&mut dense).unwrap();
        assert_eq!(dense.len(), DENSE_LEN);
        assert_eq!(registers(&dense).unwrap(), regs);
        assert_eq!(estimate(&sparse), estimate(&dense));
        let estimate = estimate(&dense).unwrap() as f64;
        assert!((estimate - 2000.0).abs() / 2000.0 < 0.05, "{estimate}");
    }

    #[test]
    fn dense_registers_round_trip_including_the_last() {
        let mut bytes = vec![0u8; DENSE_LEN];
        bytes[..4].copy_from_slice(b"HYLL");
        for index in [0, 1, 2, 3, 4, 16382, 16383] {
            assert!(dense_raise(&mut bytes, index, 63));
            assert_eq!(dense_get(&bytes[HEADER_LEN..], index), 63);
        }
        assert_eq!(dense_get(&bytes[HEADER_LEN..], 5), 0);
    }

    #[test]
    fn corrupted_sparse_is_detected() {
        let mut s = new_sparse();
        s.push(0x00);
        assert_eq!(estimate(&s), Err(SketchError::Corrupted));
        assert_eq!(validate(b"HYLL"), Err(SketchError::NotHll));
    }
}

/// PFSELFTEST's two checks, as Redis's `pfselftestCommand` runs them:
/// `cycles` rounds of random dense register writes read back, then
/// `elements` distinct elements added to a dense and a sparse sketch at
/// once, checking at each power of ten that the sparse one is still
/// sparse while small, that both estimate the same, and that the error
/// stays within six standard errors. `Err` carries the `TESTFAILED` text.
pub fn self_test(
    cycles: usize,
    elements: u64,
    sparse_max_bytes: usize,
    rng: &mut impl rand::Rng,
) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_LEN];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..cycles {
        for (i, slot) in expected.iter_mut().enumerate() {
            let value = rng.gen::<u8>() & REGISTER_MAX;
            *slot = value;
            dense_put(&mut dense[HEADER_LEN..], i, value);
        }
        for (i, &want) in expected.iter().enumerate() {
            let got = dense_get(&dense[HEADER_LEN..], i);
            if got != want {
                return Err(format!(
                    "TESTFAILED Register {i} should be {want} but is {got}"
                ));
            }
        }
    }
    dense[HEADER_LEN..].fill(0);
    let mut sparse = new_sparse();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.gen();
    let mut checkpoint: u64 = 1;
    for j in 1..=elements {
        let element = (j ^ seed).to_le_bytes();
        let (index, run) = register_and_run(&element);
        dense_raise(&mut dense, index, run);
        raise(&mut sparse, index, run, sparse_max_bytes)
            .map_err(|_| "TESTFAILED sparse sketch corrupted".to_string())?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max_bytes / 2 && is_dense(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let dense_count = estimate(&dense).map_err(|_| "TESTFAILED dense sketch corrupted")?;
        let sparse_count = estimate(&sparse).map_err(|_| "TESTFAILED sparse sketch corrupted")?;
        if dense_count != sparse_count {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let error = checkpoint.abs_diff(dense_count);
        // At 10 a collision is statistically likely now and then.
        let max_error = if j == 10 {
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        if error > max_error {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{error}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod self_test_tests {
    use super::*;

    #[test]
    fn the_sketch_passes_redis_self_test() {
        let mut rng = rand::thread_rng();
        assert_eq!(self_test(20, 200_000, 3000, &mut rng), Ok(()));
    }
}
