"""What every service shares: the call context, the clock, errors, money, permissions, typed-text cleaning and the small helpers."""
