# The server.files test's template (files.yaml): written to {workdir}/start.sh with the run's
# placeholders replaced, then run by /bin/sh as the server. The shell's own braces stay as they are.
note() { echo "start.sh: $*" >&2; }
note "listener on port {port}, home ${HOME:-unset}"
exec "{server}" --mode fork-restart --pid-file "{pid_file}" --message "templated"
