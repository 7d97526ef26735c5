"""One module per `conformance` sub-command: each has add_parser(sub) and run(args) -> int."""
