"""`python -m jfa_bot` runs the command line."""

from jfa_bot.cli import main

raise SystemExit(main())
