"""What a job records besides its files: git state, interpreter and packages, host."""
