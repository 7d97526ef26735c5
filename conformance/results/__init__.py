"""Records folded into per-requirement status and the verdict, and the typed results document."""
