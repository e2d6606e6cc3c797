//! Gives the library a soname, so that programs record "libweftview.so" and
//! find it through their rpath instead of the path they were linked with.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libweftview.so");
}
