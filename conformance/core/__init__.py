"""The ground every stage stands on: errors, exit codes, the frozen data, redaction, files from
others."""
