#!/usr/bin/env bash
# The demo on a fresh machine: install (unless --no-install), then `manage.py demo` on the
# embedded defaults (SQLite under var/, eager Celery). Other arguments go to manage.py demo:
#   --ptbxl DIR  --checkpoint CKPT  --port 8000  --offline  --no-serve
set -euo pipefail
cd "$(dirname "$0")/.."

install=1
demo_args=()
for arg in "$@"; do
    if [ "$arg" = "--no-install" ]; then install=0; else demo_args+=("$arg"); fi
done

# The demo always runs on the embedded defaults, whatever the shell has set.
unset DATABASE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND CELERY_TASK_ALWAYS_EAGER DJANGO_ENV

if [ "$install" = 1 ]; then
    bash scripts/install.sh
fi
exec python3 manage.py demo ${demo_args[@]+"${demo_args[@]}"}
