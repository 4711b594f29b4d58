//! Generated worlds for benchmarks.
