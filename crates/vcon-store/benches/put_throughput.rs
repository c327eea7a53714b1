//! Put throughput with 8 concurrent producers (filled in with the SQLite backend).

fn main() {}
