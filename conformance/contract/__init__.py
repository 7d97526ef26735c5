"""The contract: schemas, result codes, requirements, and the trace from the documents."""
