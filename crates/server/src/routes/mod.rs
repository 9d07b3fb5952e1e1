//! HTTP routes, one module per resource.

pub(crate) mod health;
pub(crate) mod landing;
pub(crate) mod wallet;
