# Progress for long steps of shell scripts (sourced): `progress_run LABEL CMD...` runs CMD
# and, while it runs, shows LABEL with the elapsed time: rewritten in place every second
# on a terminal, else a line every PROGRESS_EVERY seconds (default 30). Nothing is shown
# for a step that ends within PROGRESS_AFTER seconds (default 3). Returns CMD's status.
progress_run() {
    local label="$1"
    shift
    local after="${PROGRESS_AFTER:-3}" every="${PROGRESS_EVERY:-30}" start
    start=$(date +%s)
    (
        tty=0
        [ -t 2 ] && tty=1 && every=1
        sleep "$after"
        while :; do
            elapsed=$(( $(date +%s) - start ))
            line="$label: $(printf '%d:%02d' $((elapsed / 60)) $((elapsed % 60))) elapsed"
            if [ "$tty" -eq 1 ]; then printf '\r\033[K%s' "$line" >&2; else echo "$line" >&2; fi
            sleep "$every"
        done
    ) &
    local ticker=$! status=0
    "$@" || status=$?
    kill "$ticker" 2>/dev/null
    wait "$ticker" 2>/dev/null || true
    [ -t 2 ] && printf '\r\033[K' >&2
    return "$status"
}
