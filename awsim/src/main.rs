//! `awsim serve`: serves a generated world for manual runs and benchmark scripts.
fn main() {}
