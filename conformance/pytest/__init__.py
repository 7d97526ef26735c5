"""The pytest glue below the plugin's hooks: options, the run's state, assembly, selection."""
