#!/bin/sh
# run.sh - `make fuzz`: builds each libFuzzer target with ASan and UBSan
# and runs it for FUZZ_SECONDS (default 60) on a scratch copy of its seed
# corpus, so that the committed seeds stay as written. Exits 1 on a crash,
# a leak or a sanitizer report.
cd "$(dirname "$0")/../.." || exit 1
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz: clang is not installed (sh tests/deps.sh test installs it)"
	exit 1
fi
lib_src=$(ls lib/*.c)
libs=$(pkg-config --libs libcares openssl 2>/dev/null || echo -lcares -lssl -lcrypto)
# Debian's libwslay-dev ships no pkg-config file.
libs="$libs $(pkg-config --libs libwslay 2>/dev/null || echo -lwslay)"
rc=0
for target in msg uri auth event ws; do
	bin=$out/fuzz_$target
	# shellcheck disable=SC2086
	if ! clang -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O1 -Ilib \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$bin" "tests/fuzz/fuzz_$target.c" $lib_src $libs; then
		echo "fuzz: cannot build fuzz_$target"
		rc=1
		continue
	fi
	rm -rf "$out/corpus-$target"
	mkdir -p "$out/corpus-$target"
	cp "tests/fuzz/corpus/$target"/* "$out/corpus-$target/"
	echo "fuzz: fuzz_$target for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$out/$target-" "$out/corpus-$target" >"$out/$target.log" 2>&1; then
		tail -n 40 "$out/$target.log"
		echo "fuzz: fuzz_$target FAILED (artifacts in $out)"
		rc=1
	else
		grep -E '^stat::number_of_executed_units|^Done' "$out/$target.log"
		echo "fuzz: fuzz_$target clean"
	fi
done
exit $rc
