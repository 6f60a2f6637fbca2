"""Domain rules and data access: no GraphQL and no HTTP imports live here."""
