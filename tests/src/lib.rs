//! End-to-end tests across Comptoir's crates live in `tests/tests/`, benchmarks in
//! `tests/benches/`. This library holds what they share.
