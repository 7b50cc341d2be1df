//! sqlx's `migrate!` embeds `migrations/` and `migrations_pg/` when the server compiles, but
//! cargo only rebuilds for the sources it tracks: a new migration file alone would leave a
//! binary without it. This tells cargo to watch both folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations_pg");
}
