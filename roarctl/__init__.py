"""roarctl: the thin command-line client of roard."""
