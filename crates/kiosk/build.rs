//! Compiles the station's Slint UI (`ui/`) with debug info so tests can find elements.

fn main() {
    let config = slint_build::CompilerConfiguration::new().with_debug_info(true);
    if let Err(e) = slint_build::compile_with_config("../../ui/station.slint", config) {
        eprintln!("slint compile error: {e}");
        std::process::exit(1);
    }
}
