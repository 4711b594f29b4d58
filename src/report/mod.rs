//! `--once` output: the [`Analysis`](crate::analysis::Analysis) written as text ([`text`]) or as the JSON
//! document ([`json`]), and `--stats` ([`stats`]). Presentation only: nothing here analyses.

pub mod doctor;
pub mod json;
pub mod stats;
pub mod text;

#[cfg(test)]
mod tests;
