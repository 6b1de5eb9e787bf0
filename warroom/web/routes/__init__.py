"""One router module per noun."""
