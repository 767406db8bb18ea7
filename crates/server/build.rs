//! Compiles the C helper for `long double` arithmetic (see
//! `src/long_double.rs`): Rust has no such type, and INCRBYFLOAT must
//! compute in it as Redis does.

fn main() {
    println!("cargo:rerun-if-changed=csrc/long_double.c");
    cc::Build::new()
        .file("csrc/long_double.c")
        .warnings(true)
        .compile("moat_long_double");
}
