"""Bug hunting on the virtual clock: many seeds (sweep), one seed again (replay),
a smaller failing run (shrink), and the evidence of a failure (explain).

Every piece stands on ``trial``: one simulated ``glome test`` run of a command
line with a given seed, in this process, reduced to what a hunt compares.
"""
