/* sip/pcap.h - traced messages written as a pcap file for Wireshark. */
#ifndef SIP_PCAP_H
#define SIP_PCAP_H

#include <sip/base.h>
#include <sip/transport.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- pcap: traced messages as a packet capture ------------------------ */

/*
 * A classic pcap file (microsecond timestamps, LINKTYPE_RAW) that
 * Wireshark and tshark read. Each message becomes an IPv4 or IPv6 packet
 * between the addresses of its sip_packet_info: one UDP datagram, or TCP
 * segments whose sequence numbers run on across the messages of each
 * connection, which starts with a made-up handshake. TLS messages are
 * written as the TCP segments of their plaintext. Records are timestamped
 * with the wall clock when written and are in the file when
 * sip_pcap_write returns.
 */
struct sip_pcap;
/* Creates or truncates path (mode 0600: the capture holds what TLS hid)
 * and writes the file header. SIP_ESYS with errno set when it cannot. */
SIP_API int sip_pcap_open(struct sip_pcap **pp, const char *path);
/* One message, as the transport's trace handler sees it. SIP_ESYS (errno
 * set) when the file cannot be written; that error sticks, for a record
 * cut short leaves the rest of the file unreadable. */
SIP_API int sip_pcap_write(struct sip_pcap *p, const struct sip_packet_info *pi, const char *buf,
                           size_t len);
SIP_API void sip_pcap_close(struct sip_pcap *p);

#ifdef __cplusplus
}
#endif
#endif
