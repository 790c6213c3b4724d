#!/usr/bin/env bash
# The worked example of docs/authorizer.md: a weekly grocery allowance of 25.00 USD,
# renewed for three weeks under a grant of 60.00 USD, on the command line.
#
#   examples/weekly_renewal.sh [path/to/mandate]
#
# Every command runs at a fixed --now, so the output is the same on every run
# except for token and authorization ids, which are random: the output shows them
# as GRANT, WEEK1, ... in the order they first appear. The test suite compares the
# output with examples/weekly_renewal.expected.
set -euo pipefail

mandate=$(realpath "${1:-build/release/mandate}")
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ledger="$work/budgets.db"
card='{"brand": "visa", "last4": "4242", "funding": "debit", "exp_month": 12, "exp_year": 2030}'

field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\\1/"; }

# pay TIME TOKEN KEY AMOUNT: one authorization at the grocer.
pay() {
    echo "{\"id\": \"$3\", \"amount\": \"$4\", \"currency\": \"USD\",
           \"seller\": {\"id\": \"acct_grocer\"}, \"idempotency_key\": \"$3\"}" |
        "$mandate" authorize --ledger "$ledger" --now "$1" --token "$2"
}

run() {
    local week1=2026-12-07T14:00:00Z week2=2026-12-14T14:00:00Z week3=2026-12-21T14:00:00Z

    echo "# Monday, week 1: the grant (60.00 USD until New Year) and the first weekly child"
    grant=$("$mandate" token create --ledger "$ledger" --now $week1 \
        --policy "stdlib-policies/grant.mandate" \
        --args '{"total": "60.00 USD", "ends_at": "2027-01-01T00:00:00Z"}' \
        --seller '*' --card "$card" | field id)
    child=$("$mandate" token create --ledger "$ledger" --now $week1 \
        --policy "stdlib-policies/weekly_allowance.mandate" \
        --args '{"merchant_id": "acct_grocer", "allowance": "25.00 USD",
                 "zone": "America/New_York", "ends_at": "2027-01-01T00:00:00Z"}' \
        --seller acct_grocer --parent "$grant" --lifetime 7d | field id)
    echo "grant $grant, child $child"
    first=$(pay $week1 "$child" w1_groceries 20.00)
    echo "$first"
    pay $week1 "$child" w1_snacks 10.00
    "$mandate" capture --ledger "$ledger" --now $week1 \
        --authorization "$(echo "$first" | field authorization)" --idempotency-key w1_capture

    echo "# Monday, week 2: last week's child has expired; renew it"
    pay $week2 "$child" w2_late 5.00
    child=$("$mandate" token renew "$child" --ledger "$ledger" --now $week2 | field id)
    echo "child $child"
    pay $week2 "$child" w2_groceries 25.00

    echo "# Monday, week 3: renew again; the grant has 15.00 USD left"
    child=$("$mandate" token renew "$child" --ledger "$ledger" --now $week3 | field id)
    echo "child $child"
    pay $week3 "$child" w3_groceries 20.00
    pay $week3 "$child" w3_groceries_smaller 15.00
    pay $week3 "$child" w3_extra 1.00

    echo "# The grant, as its owner sees it, and the audit trail"
    "$mandate" token show "$grant" --ledger "$ledger" --now $week3 |
        sed -E 's/.*("status":"[a-z]*").*("usage_details":\{"authorizations":[0-9]*).*("budgets":\[[^]]*\]).*/{\1,\2,\3}/'
    "$mandate" audit verify --ledger "$ledger"
}

# Random ids become names in order of appearance; the audit head hash likewise.
run 2>&1 | awk '
    {
        line = $0
        out = ""
        while (match(line, /(spt|auth)_[a-z2-7]+/)) {
            id = substr(line, RSTART, RLENGTH)
            if (!(id in name)) {
                if (substr(id, 1, 4) == "spt_") {
                    name[id] = tokens == 0 ? "GRANT" : "WEEK" tokens
                    tokens++
                } else {
                    name[id] = "AUTH" (++holds)
                }
            }
            out = out substr(line, 1, RSTART - 1) name[id]
            line = substr(line, RSTART + RLENGTH)
        }
        print out line
    }' | sed -E 's/"head":"[0-9a-f]{64}"/"head":"HASH"/'
