/*
 * sip.h - the public API of libsip: parse, build and print SIP messages.
 *
 * Every public name starts with sip_. Parsing never allocates: a parsed
 * message, URI or header view is a set of slices into the caller's buffer,
 * and that buffer must outlive it. Functions that can fail return 0 or a
 * negative SIP_E* code; sip_strerror() names it.
 */
#ifndef SIP_H
#define SIP_H

/* One header per module; each can also be included on its own. */
#include <sip/base.h>
#include <sip/str.h>
#include <sip/method.h>
#include <sip/msg.h>
#include <sip/uri.h>
#include <sip/hdr.h>
#include <sip/check.h>
#include <sip/sdp.h>
#include <sip/build.h>
#include <sip/loop.h>
#include <sip/transport.h>
#include <sip/pcap.h>
#include <sip/dns.h>
#include <sip/txn.h>
#include <sip/auth.h>
#include <sip/dialog.h>
#include <sip/print.h>
#include <sip/ladder.h>
#include <sip/ua.h>
#include <sip/request.h>
#include <sip/reg.h>
#include <sip/call.h>
#include <sip/sub.h>
#include <sip/notifier.h>
#include <sip/event.h>

#endif
