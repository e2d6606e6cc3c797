// Copies the generated Wasmtime headers (wasmtime/conf.h included) next to
// the static library, so that meson finds both in one place.
use std::path::Path;
use std::{env, fs};

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

fn main() {
    let include = env::var("DEP_WASMTIME_C_API_INCLUDE").expect("wasmtime-c-api include dir");
    let out = env::var("OUT_DIR").unwrap();
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out; the profile dir
    // is three levels up.
    let profile_dir = Path::new(&out).ancestors().nth(3).unwrap().to_path_buf();
    copy_dir(Path::new(&include), &profile_dir.join("include")).expect("copy headers");
    println!("cargo:rerun-if-changed=build.rs");
}
