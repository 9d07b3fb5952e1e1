//! HTTP routes, one module per resource.

pub(crate) mod console;
pub(crate) mod errors;
pub(crate) mod health;
pub(crate) mod landing;
pub(crate) mod published;
pub(crate) mod scanner_page;
pub(crate) mod verification;
pub(crate) mod wallet;
