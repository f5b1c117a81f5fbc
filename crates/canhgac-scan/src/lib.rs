//! External scanner of canhgac (skeleton; being built).
