"""Reading EMOPIA: sources, labels, notes, piano rolls, cache, splits and DataModules."""
