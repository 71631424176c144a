# Bring the user's copy of the standard notebooks up to date at lab start (postStart hook).
#
#   sh -c "$(cat sync-notebooks.sh)" sync-notebooks REPOSITORY BRANCH TARGET TIMEOUT_SECONDS
#
# nbgitpuller merges upstream changes into ~/TARGET without ever overwriting a file the user
# changed (the user's version wins a conflict, a deleted file comes back, a new local file that
# upstream also adds is kept under a new name). A failing postStart hook kills the lab, so this
# never fails: any problem (no nbgitpuller in the image, an unreachable repository, a timeout)
# is written to ~/.cache/sciplat/notebooks.log and summarised in ~/NOTEBOOKS-NOT-UPDATED.txt,
# which the next successful update removes.
repository="$1"
branch="$2"
target="$HOME/$3"
limit="${4:-60}"
state="$HOME/.cache/sciplat"
log="$state/notebooks.log"
notice="$HOME/NOTEBOOKS-NOT-UPDATED.txt"
mkdir -p "$state" 2>/dev/null || log=/dev/null

run() {
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) updating ~/$3 from $repository ($branch)"
  if command -v gitpuller >/dev/null 2>&1; then
    set -- gitpuller
  elif python3 -c "import nbgitpuller" >/dev/null 2>&1; then
    set -- python3 -m nbgitpuller.pull
  else
    echo "nbgitpuller is not installed in this lab image"
    return 1
  fi
  if command -v timeout >/dev/null 2>&1; then
    set -- timeout "$limit" "$@"
  fi
  "$@" "$repository" "$branch" "$target"
  status=$?
  if [ "$status" -eq 124 ]; then
    echo "timed out after ${limit} seconds"
  fi
  return "$status"
}

if run "$@" >"$log" 2>&1; then
  rm -f "$notice"
else
  {
    echo "Your standard notebooks in ~/$3 were not updated when this lab started."
    echo "Repository: $repository (branch $branch)"
    echo "Your own files are unchanged; the next lab start tries again."
    echo "Why (details in ~/.cache/sciplat/notebooks.log):"
    reasons="fatal:|error:|[A-Za-z]Error:|not installed|timed out"
    if grep -qE "$reasons" "$log" 2>/dev/null; then
      grep -E "$reasons" "$log" | tail -n 2
    else
      tail -n 2 "$log" 2>/dev/null
    fi
  } >"$notice" 2>/dev/null
fi
exit 0
