"""Forms: they check what a person typed and give it back when it is wrong."""
