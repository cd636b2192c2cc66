//! Use cases: one transaction each — load, apply a domain rule, save.
