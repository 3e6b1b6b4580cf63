# sip - the SIP swiss-army knife.  `make`, `make test`, `make install`.
# SANITIZE=1 builds everything under build/san with ASan and UBSan.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
DESTDIR ?=

SOMAJOR := 0
VERSION := 0.1.0

CC ?= cc
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS ?= -O2 -g
BASEFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) -Ilib -fvisibility=hidden -pthread
# Debian's libwslay-dev ships no pkg-config file, hence the fallback.
LDLIBS := $(shell pkg-config --libs libcares 2>/dev/null || echo -lcares) $(shell pkg-config --libs openssl 2>/dev/null || echo -lssl -lcrypto) $(shell pkg-config --libs libwslay 2>/dev/null || echo -lwslay) -pthread
# A library named but not used is not loaded: each costs every command its
# mapping, a one-shot probe included.
LDFLAGS += -Wl,--as-needed

ifeq ($(SANITIZE),1)
O := build/san/
CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
O :=
endif

LIB_SRC := $(sort $(wildcard lib/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(O)%.o)
CMD_OBJ := $(CMD_SRC:%.c=$(O)%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(O)%.o)

LIBA := $(O)lib/libsip.a
LIBSO := $(O)lib/libsip.so.$(SOMAJOR)
SIP := $(O)cmd/sip
UNIT := $(O)tests/unit/run
# The hostile peers of `make test-hostile`: test tools, built without the
# sanitizers whatever SANITIZE says, so that they flood at full speed.
HOSTILE := $(patsubst %.c,%,$(wildcard tests/hostile/*.c))

.PHONY: all deps demo test test-hostile unit cmdtest fuzz bench lint install uninstall clean
all: $(LIBA) $(LIBSO) $(SIP)

$(O)lib/%.o: lib/%.c lib/*.h lib/sip/*.h
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

$(O)cmd/%.o: cmd/%.c cmd/*.h lib/sip/*.h
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(CFLAGS) -Icmd -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBSO): $(LIB_OBJ)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libsip.so.$(SOMAJOR) -o $@ $^ $(LDLIBS)
	ln -sf libsip.so.$(SOMAJOR) $(O)lib/libsip.so

$(SIP): $(CMD_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIBA) $(LDLIBS) -lreadline

# The unit test table is every TEST(name) in tests/unit, so adding a test
# touches only its own file.
$(O)tests/unit/tests.inc: $(UNIT_SRC)
	@mkdir -p $(@D)
	sed -n 's/^TEST(\([a-z0-9_]*\)).*/X(\1)/p' $(UNIT_SRC) > $@

$(O)tests/unit/%.o: tests/unit/%.c tests/unit/*.h lib/*.h lib/sip/*.h $(O)tests/unit/tests.inc
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(CFLAGS) -I$(O)tests/unit -Itests/unit -c -o $@ $<

# malloc is wrapped so that each test can count what the library allocates.
$(UNIT): $(UNIT_OBJ) $(LIBA)
	$(CC) $(LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
		-o $@ $(UNIT_OBJ) $(LIBA) $(LDLIBS)

deps:
	sh tests/deps.sh build

demo: $(SIP)
	sh tests/demo.sh $(SIP)

unit: $(UNIT)
	$(UNIT)

test: $(UNIT) $(SIP)
	sh tests/run.sh $(O)

tests/hostile/%: tests/hostile/%.c
	$(CC) $(BASEFLAGS) -O2 -g -o $@ $< -lm

# Hostile peers, packet loss and floods against every command.
test-hostile: $(SIP) $(HOSTILE)
	sh tests/run.sh "$(O)" tests/hostile

fuzz:
	sh tests/fuzz/run.sh

bench: all
	sh tests/bench/run.sh

lint:
	sh tests/lint.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/sip \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/bash-completion/completions \
		$(DESTDIR)$(DATADIR)/zsh/site-functions $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 755 $(SIP) $(DESTDIR)$(BINDIR)/sip
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/libsip.a
	install -m 755 $(LIBSO) $(DESTDIR)$(LIBDIR)/libsip.so.$(SOMAJOR)
	ln -sf libsip.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libsip.so
	install -m 644 lib/sip/*.h $(DESTDIR)$(INCDIR)/sip/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' lib/libsip.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libsip.pc
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 completions/sip.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/sip
	install -m 644 completions/_sip $(DESTDIR)$(DATADIR)/zsh/site-functions/_sip
	install -m 644 completions/sip.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/sip.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sip $(DESTDIR)$(LIBDIR)/libsip.a $(DESTDIR)$(LIBDIR)/libsip.so \
		$(DESTDIR)$(LIBDIR)/libsip.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/pkgconfig/libsip.pc
	rm -f $(patsubst lib/sip/%,$(DESTDIR)$(INCDIR)/sip/%,$(wildcard lib/sip/*.h))
	rmdir $(DESTDIR)$(INCDIR)/sip 2>/dev/null || true

clean:
	rm -rf build lib/*.o lib/*.a lib/*.so* cmd/*.o cmd/sip tests/unit/*.o tests/unit/run \
		tests/unit/tests.inc tests/fuzz/fuzz_msg tests/fuzz/fuzz_uri $(HOSTILE)
