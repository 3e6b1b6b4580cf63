/* floor.c - the cost floor of an OPTIONS flood, for `make bench`: a client
 * that does no SIP work. It sends OPTIONS that differ only in a counter, C
 * in flight, and counts the datagrams that come back without reading them.
 * What it costs per answer is what the kernel charges any client for a
 * datagram out and one in on loopback; a SIP client cannot cost less.
 *
 *   floor [-b] PORT N C
 *
 * -b batches: every request of a loop turn goes in one sendmmsg(2), and
 * answers come 32 to a recvmmsg(2), the lever issue 15 proposed. A request
 * left unanswered 200 ms is counted lost and its place in flight given to
 * the next, so a run always ends. Prints "N sent, M answered". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32

static int request(char *buf, size_t cap, unsigned long i, int port)
{
	return snprintf(buf, cap,
	                "OPTIONS sip:127.0.0.1:%d SIP/2.0\r\n"
	                "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKfloor%lu;rport\r\n"
	                "Max-Forwards: 70\r\n"
	                "From: <sip:floor@127.0.0.1>;tag=floor\r\n"
	                "To: <sip:127.0.0.1:%d>\r\n"
	                "Call-ID: floor%lu\r\n"
	                "CSeq: 1 OPTIONS\r\n"
	                "Content-Length: 0\r\n\r\n",
	                port, i, port, i);
}

int main(int argc, char **argv)
{
	int batch = argc > 1 && strcmp(argv[1], "-b") == 0;
	if (argc != 4 + batch) {
		fprintf(stderr, "usage: floor [-b] PORT N C\n");
		return 2;
	}
	int port = atoi(argv[1 + batch]);
	unsigned long n = strtoul(argv[2 + batch], NULL, 10);
	unsigned long window = strtoul(argv[3 + batch], NULL, 10);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || port <= 0 || n == 0 || window == 0) {
		fprintf(stderr, "floor: bad arguments or no socket\n");
		return 2;
	}
	static char out[BATCH][512], in[BATCH][2048];
	struct mmsghdr om[BATCH], im[BATCH];
	struct iovec oiov[BATCH], iiov[BATCH];
	unsigned long sent = 0, answered = 0, lost = 0;
	while (answered + lost < n) {
		int k = 0;
		while (sent < n && sent - answered - lost < window && k < BATCH) {
			int len = request(out[k], sizeof out[k], sent, port);
			sent++;
			if (!batch) {
				sendto(fd, out[k], (size_t)len, 0, (struct sockaddr *)&to,
				       sizeof to);
				continue;
			}
			oiov[k] = (struct iovec){out[k], (size_t)len};
			om[k] = (struct mmsghdr){.msg_hdr = {.msg_name = &to,
			                                     .msg_namelen = sizeof to,
			                                     .msg_iov = &oiov[k],
			                                     .msg_iovlen = 1}};
			k++;
		}
		if (k > 0)
			sendmmsg(fd, om, (unsigned)k, 0);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) == 0) {
			lost += sent - answered - lost;
			continue;
		}
		if (batch) {
			for (int i = 0; i < BATCH; i++) {
				iiov[i] = (struct iovec){in[i], sizeof in[i]};
				im[i] = (struct mmsghdr){
					.msg_hdr = {.msg_iov = &iiov[i], .msg_iovlen = 1}};
			}
			int r = recvmmsg(fd, im, BATCH, MSG_DONTWAIT, NULL);
			if (r > 0)
				answered += (unsigned long)r;
		} else {
			while (recv(fd, in[0], sizeof in[0], MSG_DONTWAIT) >= 0)
				answered++;
		}
		/* An answer later than its 200 ms was counted lost. */
		if (answered + lost > sent)
			lost = sent - answered;
	}
	printf("%lu sent, %lu answered\n", sent, answered);
	close(fd);
	return 0;
}
