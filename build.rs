//! `embed_migrations!` reads `migrations/` at compile time: a new migration
//! must rebuild the binary even when no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
