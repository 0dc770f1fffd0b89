pub mod decode;
pub mod scan;
