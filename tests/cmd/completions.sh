#!/bin/sh
# completions.sh - the bash, zsh and fish completions offer exactly the
# subcommands and options the binary accepts (they ask `sip __complete`),
# and name no option themselves.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

C=$T_ROOT/completions

# What the binary accepts, sorted, one a line.
"$SIP" __complete commands | sort >"$T_TMP/commands"
"$SIP" __complete options | grep -v -e = | sort >"$T_TMP/top"
t_check "there are commands" test -s "$T_TMP/commands"
cmds=$(cat "$T_TMP/commands")

# The options that take a file name, as the binary says: it must name at
# least these, and the scripts complete file names after each.
T_NAME="__complete files"
for want in "options -f" "options --file" "options --ca-file" "options --pcap" \
	"options --password-file" "register --ca-file" "register --pcap" \
	"register --password-file" "invite --sdp" "invite --pcap" "invite --ca-file" \
	"listen --cert" "listen --key" "listen --pcap"; do
	# shellcheck disable=SC2086 # "CMD OPTION"
	set -- $want
	# shellcheck disable=SC2016 # expanded by the inner sh
	t_check "sip $1 $2 takes a file" sh -c '"$1" __complete files "$2" | grep -qxF -e "$3"' \
		sh "$SIP" "$1" "$2"
done
t_check "sip resolve has no file option" test -z "$("$SIP" __complete files resolve)"
mkdir -p "$T_TMP/dir"
: >"$T_TMP/dir/capture.sip"

# No hard-coded names: every option and command must come from the binary.
for f in "$C/sip.bash" "$C/_sip" "$C/sip.fish"; do
	T_NAME=$(basename "$f")
	for cmd in $cmds; do
		for opt in $("$SIP" __complete options "$cmd" | grep -v -e = | grep -e '^--'); do
			t_check "names no $opt" t_lacks "$opt" "$f"
		done
	done
	for word in raw pretty json always never decode; do
		t_check "names no '$word'" t_lacks "$word" "$f"
	done
done

# ---- bash: set COMP_WORDS/COMP_CWORD, call _sip, print COMPREPLY sorted.
if t_need bash bash; then
	# bash_complete CWORD WORD... -> COMPREPLY, one a line, sorted
	bash_complete() {
		# shellcheck disable=SC2016 # expanded by the inner bash
		bash -c '
			. "$1"; shift
			COMP_CWORD=$1; shift
			COMP_WORDS=("$@")
			COMP_LINE="$*"
			_sip
			printf "%s\n" "${COMPREPLY[@]}" | sed "/^$/d" | sort
		' bash "$C/sip.bash" "$@"
	}
	T_NAME=bash
	bash_complete 1 "$SIP" "" >"$T_TMP/got"
	t_check "sip <TAB> offers the commands" cmp -s "$T_TMP/commands" "$T_TMP/got"
	bash_complete 1 "$SIP" - >"$T_TMP/got"
	t_check "sip -<TAB> offers the top-level options" cmp -s "$T_TMP/top" "$T_TMP/got"
	bash_complete 2 "$SIP" help "" >"$T_TMP/got"
	t_check "sip help <TAB> offers the commands" cmp -s "$T_TMP/commands" "$T_TMP/got"

	for cmd in $cmds; do
		"$SIP" __complete options "$cmd" | grep -v -e = | sort >"$T_TMP/want"
		bash_complete 2 "$SIP" "$cmd" - >"$T_TMP/got"
		t_check "sip $cmd -<TAB> offers exactly its options" cmp -s "$T_TMP/want" "$T_TMP/got"
		grep -e '^--' "$T_TMP/want" >"$T_TMP/want2"
		bash_complete 2 "$SIP" "$cmd" -- >"$T_TMP/got"
		t_check "sip $cmd --<TAB> offers its long options" cmp -s "$T_TMP/want2" "$T_TMP/got"

		# Each option's values: "-o <TAB>", "--output <TAB>", "--output=<TAB>".
		"$SIP" __complete options "$cmd" | grep -e = >"$T_TMP/values"
		while IFS= read -r line; do
			opt=${line%%=*}
			# a file's name is tested below
			"$SIP" __complete files "$cmd" | grep -qxF -e "$opt" && continue
			printf '%s\n' "${line#*=}" | tr ' ' '\n' | sed '/^$/d' | sort >"$T_TMP/want"
			bash_complete 3 "$SIP" "$cmd" "$opt" "" >"$T_TMP/got"
			t_check "sip $cmd $opt <TAB> offers its values" cmp -s "$T_TMP/want" "$T_TMP/got"
			case $opt in
			--*)
				bash_complete 4 "$SIP" "$cmd" "$opt" = "" >"$T_TMP/got"
				t_check "sip $cmd $opt=<TAB> offers its values" \
					cmp -s "$T_TMP/want" "$T_TMP/got"
				;;
			esac
		done <"$T_TMP/values"

		# File names after an option that takes one: "--pcap <TAB>", "--pcap=<TAB>".
		for opt in $("$SIP" __complete files "$cmd"); do
			bash_complete 3 "$SIP" "$cmd" "$opt" "$T_TMP/dir/cap" >"$T_TMP/got"
			t_check "sip $cmd $opt FILE<TAB> completes files" \
				grep -qxF -e "$T_TMP/dir/capture.sip" "$T_TMP/got"
			case $opt in
			--*)
				bash_complete 4 "$SIP" "$cmd" "$opt" = "$T_TMP/dir/cap" >"$T_TMP/got"
				t_check "sip $cmd $opt=FILE<TAB> completes files" \
					grep -qxF -e "$T_TMP/dir/capture.sip" "$T_TMP/got"
				bash_complete 2 "$SIP" "$cmd" "$opt=$T_TMP/dir/cap" >"$T_TMP/got"
				t_check "sip $cmd $opt=FILE<TAB> (one word) completes files" \
					grep -qxF -e "$opt=$T_TMP/dir/capture.sip" "$T_TMP/got"
				;;
			esac
		done

		# Operands.
		if [ "$("$SIP" __complete args "$cmd")" = file ]; then
			bash_complete 2 "$SIP" "$cmd" "$T_TMP/dir/cap" >"$T_TMP/got"
			t_check "sip $cmd FILE<TAB> completes files" \
				grep -qxF -e "$T_TMP/dir/capture.sip" "$T_TMP/got"
		fi
	done
fi

# ---- zsh: stub the completion builtins, call _sip, collect what it adds.
if t_need zsh zsh; then
	T_NAME=zsh
	t_check "_sip parses (zsh -n)" zsh -n "$C/_sip"
	# zsh_complete PREFIX WORD...: the last WORD is the one being completed.
	zsh_complete() {
		# shellcheck disable=SC2016 # expanded by zsh
		zsh -f -c '
			compadd() { local a; for a in "$@"; do [[ $a == -- ]] || print -r -- "$a"; done }
			compset() { PREFIX=${PREFIX#*=} }
			_files() { print -r -- "<files>" }
			fpath=("$1" $fpath); autoload -Uz _sip
			PREFIX=$2; shift 2
			words=("$@"); CURRENT=$#
			_sip
		' zsh "$C" "$@" | sort
	}
	zsh_complete "" "$SIP" "" >"$T_TMP/got"
	t_check "sip <TAB> offers the commands" cmp -s "$T_TMP/commands" "$T_TMP/got"
	for cmd in $cmds; do
		"$SIP" __complete files "$cmd" >"$T_TMP/files"
		"$SIP" __complete options "$cmd" | grep -v -e = | sort >"$T_TMP/want"
		zsh_complete - "$SIP" "$cmd" - >"$T_TMP/got"
		t_check "sip $cmd -<TAB> offers exactly its options" cmp -s "$T_TMP/want" "$T_TMP/got"
		"$SIP" __complete options "$cmd" | grep -e = >"$T_TMP/values"
		while IFS= read -r line; do
			opt=${line%%=*}
			printf '%s\n' "${line#*=}" | tr ' ' '\n' | sed '/^$/d' | sort >"$T_TMP/want"
			grep -qxF -e "$opt" "$T_TMP/files" && echo "<files>" >"$T_TMP/want"
			zsh_complete "" "$SIP" "$cmd" "$opt" "" >"$T_TMP/got"
			t_check "sip $cmd $opt <TAB> offers its values" cmp -s "$T_TMP/want" "$T_TMP/got"
		done <"$T_TMP/values"
		while IFS= read -r opt; do
			case $opt in
			--*)
				zsh_complete "$opt=" "$SIP" "$cmd" "$opt=" >"$T_TMP/got"
				t_check "sip $cmd $opt=<TAB> completes files" test "$(cat "$T_TMP/got")" = "<files>"
				;;
			esac
		done <"$T_TMP/files"
	done
fi

# ---- fish: `complete -C` prints what fish would offer.
if t_need fish fish; then
	T_NAME=fish
	t_check "sip.fish parses (fish -n)" fish -n "$C/sip.fish"
	# fish_complete LINE: what fish offers for the command line LINE.
	fish_complete() {
		# shellcheck disable=SC2016 # $argv is fish's
		fish --no-config -c 'source $argv[1]; complete -C $argv[2] | string replace -r "\t.*" ""' \
			"$C/sip.fish" "$1" | sort
	}
	mkdir -p "$T_TMP/bin"
	ln -sf "$SIP" "$T_TMP/bin/sip"
	PATH=$T_TMP/bin:$PATH
	fish_complete "sip " >"$T_TMP/got"
	t_check "sip <TAB> offers the commands" cmp -s "$T_TMP/commands" "$T_TMP/got"
	for cmd in $cmds; do
		"$SIP" __complete options "$cmd" | grep -v -e = | sort >"$T_TMP/want"
		fish_complete "sip $cmd -" >"$T_TMP/got"
		t_check "sip $cmd -<TAB> offers exactly its options" cmp -s "$T_TMP/want" "$T_TMP/got"
		"$SIP" __complete options "$cmd" | grep -e = >"$T_TMP/values"
		while IFS= read -r line; do
			opt=${line%%=*}
			printf '%s\n' "${line#*=}" | tr ' ' '\n' | sed '/^$/d' | sort >"$T_TMP/want"
			if "$SIP" __complete files "$cmd" | grep -qxF -e "$opt"; then
				fish_complete "sip $cmd $opt $T_TMP/dir/cap" >"$T_TMP/got"
				t_check "sip $cmd $opt FILE<TAB> completes files" \
					grep -qxF -e "$T_TMP/dir/capture.sip" "$T_TMP/got"
				case $opt in
				--*)
					fish_complete "sip $cmd $opt=$T_TMP/dir/cap" >"$T_TMP/got"
					t_check "sip $cmd $opt=FILE<TAB> completes files" \
						grep -qxF -e "$opt=$T_TMP/dir/capture.sip" "$T_TMP/got"
					;;
				esac
				continue
			fi
			fish_complete "sip $cmd $opt " >"$T_TMP/got"
			t_check "sip $cmd $opt <TAB> offers its values" cmp -s "$T_TMP/want" "$T_TMP/got"
		done <"$T_TMP/values"
	done
fi

t_done
