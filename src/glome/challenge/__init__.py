"""``glome challenge``: the 14 Gossip Glomers challenges run, judged and reported.

``judging`` turns one run's results into a row (verdict, figures, targets met),
``engines`` runs a challenge's command line through glome's bench and
``maelstrom`` through a real Maelstrom, ``display`` shows the progress,
``report`` writes store/report.html and ``command`` is the CLI.
"""
