"""``python -m impactbond.cli`` is the ``impactbond`` command."""

from impactbond.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
