#!/bin/sh
# manpages.sh - every command has a page, every option it accepts is on
# that page, and every page is clean under mandoc -Tlint and groff -ww.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

M=$T_ROOT/man

# opt_on_page OPTION PAGE: "--output" as "Fl -output", "-o" as "Fl o".
# shellcheck disable=SC2317 # called through t_check
opt_on_page() {
	case $1 in
	--*) t_fl="-${1#--}" ;;
	-*) t_fl=${1#-} ;;
	esac
	grep -qE -e "(^|[ .])Fl $t_fl( |\$)" "$2"
}

T_NAME="sip.1"
t_check "exists" test -f "$M/sip.1"
for opt in $("$SIP" __complete options | grep -v -e =); do
	t_check "names $opt" opt_on_page "$opt" "$M/sip.1"
done

for cmd in $("$SIP" __complete commands); do
	page=$M/sip-$cmd.1
	T_NAME="sip-$cmd.1"
	if [ ! -f "$page" ]; then
		t_fail "$T_NAME" "'$cmd' has no man/sip-$cmd.1"
		continue
	fi
	t_ok "$T_NAME: exists"
	for opt in $("$SIP" __complete options "$cmd" | grep -v -e =); do
		t_check "names $opt" opt_on_page "$opt" "$page"
	done
	t_check "sip.1 lists it" grep -qE -e "^\\.It Cm $cmd( |\$)" "$M/sip.1"
	t_check "has EXAMPLES" grep -q -e '^\.Sh EXAMPLES' "$page"
	t_check "has EXIT STATUS" grep -q -e '^\.Sh EXIT STATUS' "$page"
	t_check "has STANDARDS" grep -q -e '^\.Sh STANDARDS' "$page"
done

# mandoc -Tlint, less its notes that a page named in SEE ALSO is not installed
# here: ours are not until `make install`, and others' (tshark(1)) only when
# their package is, which says nothing about our pages.
if t_need "mandoc -Tlint" mandoc; then
	for page in "$M"/*.1; do
		T_NAME=$(basename "$page")
		mandoc -Tlint "$page" 2>&1 |
			grep -v -E -e 'STYLE: referenced manual not found: Xr ' \
				-e 'outdated mandoc.db' >"$T_TMP/lint"
		t_check "mandoc -Tlint is clean" test ! -s "$T_TMP/lint"
		[ -s "$T_TMP/lint" ] && sed 's/^/     /' "$T_TMP/lint"
	done
fi

# groff reads mdoc its own way (a title starting "An" calls the author
# macro there, not in mandoc): man(1) on most systems is groff.
if t_need "groff -mandoc -ww" groff=groff-base; then
	for page in "$M"/*.1; do
		T_NAME=$(basename "$page")
		groff -mandoc -ww -Tutf8 -z "$page" >"$T_TMP/lint" 2>&1
		t_check "groff -mandoc -ww is clean" test ! -s "$T_TMP/lint"
		[ -s "$T_TMP/lint" ] && sed 's/^/     /' "$T_TMP/lint"
	done
fi

# The lint above lets an uninstalled page pass: a reference to one of ours
# must name a page that is here.
for page in "$M"/*.1; do
	T_NAME=$(basename "$page")
	sed -n 's/^\.Xr \(sip[-a-z]*\) 1.*/\1/p' "$page" | sort -u >"$T_TMP/refs"
	while read -r ref; do
		t_check "its reference to $ref(1) is a page of ours" test -f "$M/$ref.1"
	done <"$T_TMP/refs"
done

t_done
