"""Reports and the manager's dashboard: grouped queries, report models and files, the day sheet."""
