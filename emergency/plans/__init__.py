"""Plans and reporting rules as validated data, read from the top-level plans/ folder."""
