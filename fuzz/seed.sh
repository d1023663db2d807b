#!/usr/bin/env bash
# Builds the seed corpus of every fuzz target, fuzz/corpus/<target>/, from the
# input files of samples/ and tests/ (and slices of the built-in catalog).
# Safe to run again: files are named by their content.
set -euo pipefail
cd "$(dirname "$0")"
root=..

add() { # add TARGET FILE
    mkdir -p "corpus/$1"
    cp "$2" "corpus/$1/seed-$(sha1sum < "$2" | cut -c1-16)"
}

for name in users subscriptions plan domains prices; do
    find "$root/samples" "$root/tests" -name "$name.csv" -print0 |
        while IFS= read -r -d '' file; do add "$name" "$file"; done
done

# The pipeline: a flags byte, then the files of one folder joined by 0x1e.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
find "$root/samples" "$root/tests" -name plan.csv -print0 |
    while IFS= read -r -d '' plan; do
        dir=$(dirname "$plan")
        [ -f "$dir/users.csv" ] && [ -f "$dir/subscriptions.csv" ] || continue
        for flags in '\x00' '\x01' '\x02'; do
            {
                printf "$flags"
                cat "$dir/users.csv"; printf '\x1e'
                cat "$dir/subscriptions.csv"; printf '\x1e'
                cat "$dir/plan.csv"
                if [ -f "$dir/domains.csv" ]; then printf '\x1e'; cat "$dir/domains.csv"; fi
            } > "$tmp"
            add pipeline "$tmp"
        done
    done

# The catalog: the header with the first rows, and with the samples' products.
table="$root/data/ms-licensing-catalog.csv"
head -n 40 "$table" > "$tmp"
add catalog "$tmp"
{
    head -n 1 "$table"
    grep -E ',(O365_BUSINESS_PREMIUM|SPB|O365_BUSINESS_ESSENTIALS|SMB_BUSINESS_ESSENTIALS|O365_BUSINESS|SMB_BUSINESS|ENTERPRISEPACK|SPE_E3|VISIOCLIENT|VISIO_PLAN2_DEPT|POWER_BI_PRO|EMS|EXCHANGESTANDARD|SPE_E5),' "$table"
} > "$tmp"
add catalog "$tmp"

for target in corpus/*; do
    echo "$target: $(ls "$target" | wc -l) files"
done
