"""Writers of tiny datasets in the original on-disk formats, for tests."""
