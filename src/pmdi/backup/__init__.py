"""`pmdi backup` / `pmdi restore`: a consistent copy of the database and the stored files."""
