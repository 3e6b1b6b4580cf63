#!/bin/sh
# install.sh - `make install` into a staging DESTDIR: every file lands,
# the shared library has its soname and exports only sip_ names, and a
# program builds against the installed copy through pkg-config and runs.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

stage=$T_TMP/stage
# A plain build whatever the suite runs under: a sanitized libsip would
# need the sanitizer runtime in the test program too.
t_run "make install" 0 env -u MAKEFLAGS -u MAKELEVEL -u SANITIZE \
	make -s -C "$T_ROOT" install PREFIX=/usr DESTDIR="$stage"
for f in bin/sip lib/libsip.a lib/libsip.so.0 lib/libsip.so include/sip/sip.h \
	lib/pkgconfig/libsip.pc share/man/man1/sip.1 share/man/man1/sip-decode.1 \
	share/bash-completion/completions/sip share/zsh/site-functions/_sip \
	share/fish/vendor_completions.d/sip.fish; do
	t_check "installs $f" test -e "$stage/usr/$f"
done

if t_need "soname and exports" readelf=binutils nm=binutils; then
	readelf -d "$stage/usr/lib/libsip.so.0" >"$T_TMP/dyn"
	t_check "soname is libsip.so.0" grep -q 'SONAME.*\[libsip\.so\.0\]' "$T_TMP/dyn"
	nm -D --defined-only "$stage/usr/lib/libsip.so.0" | awk '$2 == "T" || $2 == "D" || $2 == "R" { print $3 }' >"$T_TMP/syms"
	t_check "exports symbols" test -s "$T_TMP/syms"
	t_check "exports only sip_ names" sh -c "! grep -v '^sip_' '$T_TMP/syms'"
fi

# The public API: every header of lib/sip/ lands in include/sip/ (the old
# include/sip.h no more), and each compiles on its own, warnings as errors
# (a struct in a parameter list that no included header declares is only a
# warning): each includes the others it needs.
for h in "$T_ROOT"/lib/sip/*.h; do
	t_check "installs include/sip/${h##*/} mode 644" \
		test "$(stat -c %a "$stage/usr/include/sip/${h##*/}" 2>/dev/null)" = 644
done
t_check "include/sip.h is no more" test ! -e "$stage"/usr/include/sip.h
for h in "$stage"/usr/include/sip/*.h; do
	h=${h##*/}
	t_check "<sip/$h> compiles on its own" sh -c "printf '#include <sip/%s>\\n' '$h' |
		cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I'$stage/usr/include' -x c -"
done

cat >"$T_TMP/prog.c" <<'C'
#include <sip/sip.h>
#include <string.h>

int main(void)
{
	static const char m[] = "OPTIONS sip:a@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n";
	struct sip_msg msg;
	if (sip_msg_parse(&msg, m, strlen(m), 0) != 0)
		return 1;
	printf("%.*s\n", SIP_STR_FMT(msg.method_name));
	return 0;
}
C
if t_need "pkg-config build" pkg-config; then
	flags=$(PKG_CONFIG_PATH=$stage/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$stage \
		pkg-config --cflags --libs libsip)
	# shellcheck disable=SC2086
	t_run "a program builds with pkg-config" 0 cc -o "$T_TMP/prog" "$T_TMP/prog.c" $flags
	LD_LIBRARY_PATH=$stage/usr/lib t_run "and runs against libsip.so" 0 "$T_TMP/prog"
	t_out_has "OPTIONS"
	t_check "links the shared library" sh -c "LD_LIBRARY_PATH='$stage/usr/lib' ldd '$T_TMP/prog' | grep -q libsip.so.0"
fi
LD_LIBRARY_PATH='' t_run "installed sip runs" 0 "$stage/usr/bin/sip" --version

t_done
