"""Documented exit codes of the `conformance` command."""

EXIT_CERTIFIED = 0  # every MUST requirement passed
EXIT_NOT_CERTIFIED = 1  # a MUST requirement failed, or the suite could not complete a test
EXIT_USAGE = 2  # bad arguments, profile or contract files
EXIT_UNREACHABLE = 3  # no request got any HTTP answer
EXIT_PREFLIGHT = 4  # the preflight found the set-up wrong (key, Client-Id, key version, path...)
EXIT_INCONCLUSIVE = 5  # no MUST failed, but the network disturbed more requests than the budget
EXIT_PARTIAL = (
    6  # no MUST failed, but the run left suite tests out (--only, -k, -m, a spent budget)
)
EXIT_OK = EXIT_CERTIFIED  # any other command that did what it was asked

HELP = """exit codes:
  0  certified (or, for other commands, done)
  1  not certified: a MUST requirement failed, or a test could not complete
  2  usage or configuration error: bad arguments, profile or contract files
  3  target unreachable: no request got any HTTP answer
  4  set-up wrong: the preflight's valid request was refused (key, Client-Id, key
     version, path, trigger, gateway port); the diagnosis names the fix
  5  inconclusive: no MUST requirement failed, but the network disturbed (reset,
     timeout, a 502/503/504 page) more requests than [limits] disturbance_budget
  6  partial: no MUST requirement failed, but the run left suite tests out
     (--only, -k, -m, named tests, a spent --max-requests budget, an early
     stop): only a whole run certifies"""
