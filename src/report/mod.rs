//! report.html, the audit report: [`figures`] gathers what it shows from a run,
//! [`render`] turns those figures into the page. Written by [`crate::output`] with
//! the other outputs, all or nothing.

pub mod figures;
pub mod render;

pub use figures::{Figures, UserFigures};
pub use render::render;
