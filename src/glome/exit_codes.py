"""Exit codes of every glome command and node, defined once: Maelstrom's where it has
one (an analysis's verdict, a bad command line, a test that could not finish)."""

VALID = 0  # the analysis found the history valid
INVALID = 1  # it found an anomaly
UNKNOWN = 2  # it could not decide
BAD_ARGUMENTS = 254  # a command line (or input) the command refuses, with the reason
ABORTED = 255  # the test could not run to its analysis: a node crashed, setup failed
