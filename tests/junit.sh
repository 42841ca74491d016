# junit.sh - sourced by the shell test suites to write a JUnit XML report of their checks:
#   junit_begin SUITE                    start (the report will be $PAGEVISOR_TEST_RESULTS/SUITE.xml)
#   junit_case NAME STATUS [MESSAGE]     one check: STATUS 0 passed, else failed with MESSAGE;
#                                        its time is since the previous check (or the start)
#   junit_end                            write the report; nothing when PAGEVISOR_TEST_RESULTS
#                                        is unset or empty (a suite run by hand)
# Names and messages are escaped for XML; control characters and bytes that are not UTF-8
# are dropped.

_junit_micros() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

junit_begin() {
    _junit_suite=$1
    _junit_names=() _junit_status=() _junit_msgs=() _junit_times=()
    _junit_last=$(_junit_micros)
}

junit_case() {
    local now
    now=$(_junit_micros)
    _junit_names+=("$1")
    _junit_status+=("$2")
    _junit_msgs+=("${3:-}")
    _junit_times+=("$((now - _junit_last))")
    _junit_last=$now
}

_junit_escape() {
    printf '%s' "$1" | LC_ALL=C tr -d '\000-\010\013\014\016-\037' |
        { iconv -f UTF-8 -t UTF-8 -c 2>/dev/null || true; } |
        sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

_junit_seconds() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

junit_end() {
    local dir=${PAGEVISOR_TEST_RESULTS:-}
    [[ -n $dir ]] || return 0
    local file=$dir/$_junit_suite.xml i failures=0 total=0 suite msg first
    for i in "${!_junit_names[@]}"; do
        [[ ${_junit_status[i]} == 0 ]] || failures=$((failures + 1))
        total=$((total + _junit_times[i]))
    done
    suite=$(_junit_escape "$_junit_suite")
    mkdir -p "$dir" || { echo "junit: cannot make $dir" >&2; return 1; }
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo '<testsuites>'
        echo "<testsuite name=\"$suite\" tests=\"${#_junit_names[@]}\" failures=\"$failures\" errors=\"0\" time=\"$(_junit_seconds $total)\">"
        for i in "${!_junit_names[@]}"; do
            printf '  <testcase classname="%s" name="%s" time="%s"' "$suite" \
                "$(_junit_escape "${_junit_names[i]}")" "$(_junit_seconds "${_junit_times[i]}")"
            if [[ ${_junit_status[i]} == 0 ]]; then
                echo '/>'
                continue
            fi
            msg=${_junit_msgs[i]:-failed (status ${_junit_status[i]})}
            first=${msg%%$'\n'*}
            printf '>\n    <failure message="%s">%s</failure>\n  </testcase>\n' \
                "$(_junit_escape "$first")" "$(_junit_escape "$msg")"
        done
        echo '</testsuite>'
        echo '</testsuites>'
    } >"$file.tmp" && mv "$file.tmp" "$file" || { echo "junit: cannot write $file" >&2; return 1; }
}
