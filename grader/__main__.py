"""``python -m grader``: the ``rnngrade`` program (:mod:`grader.entry`)."""

from grader.entry import main

main()
