//! HTTP routes, one module per resource.

pub(crate) mod console;
pub(crate) mod health;
pub(crate) mod landing;
pub(crate) mod scanner_page;
pub(crate) mod wallet;
