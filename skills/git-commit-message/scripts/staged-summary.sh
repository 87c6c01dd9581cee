#!/usr/bin/env bash
# What a commit message needs to know: the staged change, what is left unstaged, recent style.
set -euo pipefail
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not inside a git repository: $(pwd)" >&2
  exit 1
fi
echo "== staged files"
git diff --cached --name-status
echo
echo "== staged diff statistics"
git diff --cached --stat
echo
echo "== changed but not staged"
git status --short | grep -v '^[MADRC] ' || true
echo
echo "== recent subjects"
git log -10 --format='%s' 2>/dev/null || echo "(no commits yet)"
