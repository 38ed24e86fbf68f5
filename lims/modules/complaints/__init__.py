"""complaints area: the public reports a problem with an instrument; its owner and the lab answer and close it."""
