"""Error-budget policies: what a team does as the budget is spent."""
