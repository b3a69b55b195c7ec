"""The conductor: the only writer of what guests report."""
