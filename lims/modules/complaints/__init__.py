"""complaints area: a member of the public reports a problem with an instrument; its owner and the lab answer and close it."""
