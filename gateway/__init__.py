"""The passgate process: app factory, settings, CLI, auth and connections."""
