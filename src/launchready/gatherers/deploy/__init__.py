"""Facts about the repository being deployed."""
