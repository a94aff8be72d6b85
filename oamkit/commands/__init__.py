"""CLI command modules. Each module with a `register(app)` function is picked up by `oamkit.cli`."""
