"""`python -m errsynth.cli …` runs the `errsynth` command."""

from errsynth.cli.group import main

main()
