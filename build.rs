// New files under migrations/ must rebuild the crate: sqlx::migrate! embeds the folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
