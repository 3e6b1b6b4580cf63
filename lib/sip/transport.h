/* sip/transport.h - UDP, TCP, TLS and WebSocket: socket addresses, what
 * travelled where, sending and receiving messages. */
#ifndef SIP_TRANSPORT_H
#define SIP_TRANSPORT_H

#include <sip/base.h>
#include <sip/str.h>
#include <sip/msg.h>
#include <sip/loop.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- transport: UDP, TCP, TLS, WebSocket ------------------------------ */

/* WS and WSS are SIP over WebSocket (RFC 7118), over TCP and over TLS. */
enum sip_tp { SIP_TP_UDP = 0, SIP_TP_TCP, SIP_TP_TLS, SIP_TP_WS, SIP_TP_WSS, SIP_TP_COUNT };
SIP_API const char *sip_tp_name(enum sip_tp tp); /* "UDP" */
/* "udp", "TCP", "tls"... case-insensitive; -1 when unknown. */
SIP_API int sip_tp_from_str(struct sip_str s);
/* What a URI of ours says of the transport: "" for UDP, ";transport=tcp",
 * ";transport=tls", and ";transport=ws" for WS and WSS alike (RFC 7118
 * section 5.2). */
SIP_API const char *sip_tp_uri_param(enum sip_tp tp);

struct sip_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};
/* A numeric IPv4 or IPv6 address (brackets allowed) and a port. */
SIP_API int sip_sockaddr_set(struct sip_sockaddr *sa, struct sip_str host, uint16_t port);
/* "192.0.2.1:5060" or "[2001:db8::1]:5060"; returns the length or SIP_ENOSPC. */
SIP_API int sip_sockaddr_print(const struct sip_sockaddr *sa, char *buf, size_t cap);
/* The address alone, IPv6 in brackets as Via and Contact want it. */
SIP_API int sip_sockaddr_host(const struct sip_sockaddr *sa, char *buf, size_t cap);
SIP_API uint16_t sip_sockaddr_port(const struct sip_sockaddr *sa);
SIP_API bool sip_sockaddr_eq(const struct sip_sockaddr *a, const struct sip_sockaddr *b);

/* What travelled where, for printing a message sent or received. */
struct sip_packet_info {
	bool tx;
	/* A WebSocket handshake's HTTP request or answer, not a SIP message:
	 * shown, not captured or parsed. */
	bool http;
	enum sip_tp tp;
	struct sip_sockaddr local;
	struct sip_sockaddr remote;
	uint64_t time_us; /* loop clock */
};

typedef void(sip_trace_h)(const struct sip_packet_info *pi, const char *buf, size_t len, void *arg);
/* A message arrived; msg and its buffer live until the handler returns. */
typedef void(sip_recv_h)(const struct sip_msg *msg, const struct sip_packet_info *pi, void *arg);
/* Sending to remote failed: SIP_EREFUSED (ICMP port unreachable, RST),
 * SIP_ENET, SIP_ETLS, SIP_ECLOSED, SIP_ESYNTAX (a stream that does not
 * parse, closed)...; detail says more (certificate error, "line 7: ...").
 * SIP_EDROPPED fails nothing: a datagram from remote that does not parse
 * was dropped, and a transaction waits on for one that does. */
typedef void(sip_tp_err_h)(int err, enum sip_tp tp, const struct sip_sockaddr *remote,
                           const char *detail, void *arg);

struct sip_transport_opts {
	int family;             /* AF_UNSPEC, AF_INET or AF_INET6 */
	const char *local_host; /* numeric address to bind; NULL: any */
	uint16_t local_port;    /* 0: ephemeral */
	const char *ca_file;    /* TLS trust anchors; NULL: the system's */
	bool insecure;          /* TLS: do not verify the peer certificate */
	const char *cert_file;  /* TLS server side (sip listen) */
	const char *key_file;
	size_t max_msg; /* largest message accepted; 0: 65535 */
	/* close a stream whose message is not complete by then, or an accepted one
	 * that has sent no whole message by then since its accept; 0: 32 s */
	uint64_t idle_us;
	/* accepted streams kept at once; one more closes the one quiet the
	 * longest; 0: 1024 */
	unsigned max_accepted;
	/* WebSocket clients (WS, WSS): the handshake's path (NULL: "/"), its
	 * Origin (NULL: none), and more header lines for it, "Name: value". */
	const char *ws_path;
	const char *ws_origin;
	const char *const *ws_headers;
	size_t nws_headers;
	sip_trace_h *trace;
	void *trace_arg;
};

struct sip_transport;
SIP_API int sip_transport_new(struct sip_transport **tpp, struct sip_loop *loop,
                              const struct sip_transport_opts *opts, sip_recv_h *recv,
                              sip_tp_err_h *err, void *arg);
SIP_API void sip_transport_free(struct sip_transport *tp);
/*
 * The local address a message to remote leaves from, for Via and Contact.
 * For a stream this opens the connection (TLS and WSS verify tls_name, or
 * the address when NULL; a WebSocket handshake names it as Host) if none
 * is open yet; the connect completes later.
 */
SIP_API int sip_transport_local(struct sip_transport *tp, enum sip_tp t,
                                const struct sip_sockaddr *remote, const char *tls_name,
                                struct sip_sockaddr *local);
/* Sends one message; a stream queues it until the connection is up. */
SIP_API int sip_transport_send(struct sip_transport *tp, enum sip_tp t,
                               const struct sip_sockaddr *remote, const char *tls_name,
                               const char *buf, size_t len);
/* Accepts connections on TCP, TLS, WS or WSS at the bound address (UDP
 * always receives). */
SIP_API int sip_transport_listen(struct sip_transport *tp, enum sip_tp t);
/* The bound address of a transport's socket (UDP, or a TCP/TLS listener). */
SIP_API int sip_transport_bound(struct sip_transport *tp, enum sip_tp t, int family,
                                struct sip_sockaddr *local);
/* Subject, issuer and expiry of a TLS peer's certificate, one line. */
SIP_API int sip_transport_tls_peer(struct sip_transport *tp, const struct sip_sockaddr *remote,
                                   char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
