/* sip/loop.h - the single-threaded poll() loop: file descriptors, timers, signals. */
#ifndef SIP_LOOP_H
#define SIP_LOOP_H

#include <sip/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- loop: one poll() loop for sockets, timers and signals ----------- */

struct sip_loop;

#define SIP_EV_READ 0x1
#define SIP_EV_WRITE 0x2
#define SIP_EV_ERROR 0x4 /* POLLERR or POLLHUP; delivered whatever was asked */

typedef void(sip_fd_h)(int fd, unsigned events, void *arg);
typedef void(sip_timer_h)(void *arg);

/* A timer lives in its owner's storage; zero it (or sip_timer_init) once. */
struct sip_timer {
	uint64_t due; /* microseconds on the loop's clock */
	sip_timer_h *h;
	void *arg;
	size_t slot; /* index + 1 in the loop's heap; 0 when not armed */
	uint64_t seq;
};

SIP_API int sip_loop_new(struct sip_loop **loopp);
SIP_API void sip_loop_free(struct sip_loop *loop);
/* Monotonic microseconds. */
SIP_API uint64_t sip_loop_now(const struct sip_loop *loop);
/* Tests replace the clock: a 32-second Timer B then takes no real time. */
SIP_API void sip_loop_set_clock(struct sip_loop *loop, uint64_t (*now)(void *arg), void *arg);
/* Watches fd for events (0 stops watching). One handler per fd. */
SIP_API int sip_loop_fd(struct sip_loop *loop, int fd, unsigned events, sip_fd_h *h, void *arg);
SIP_API void sip_timer_init(struct sip_timer *t);
/* (Re)arms t to fire after delay_us; a 0 delay runs it on the loop's next
 * turn, never inside the current call. SIP_ENOMEM leaves it unarmed. */
SIP_API int sip_timer_start(struct sip_loop *loop, struct sip_timer *t, uint64_t delay_us,
                            sip_timer_h *h, void *arg);
SIP_API void sip_timer_cancel(struct sip_loop *loop, struct sip_timer *t);
SIP_API bool sip_timer_armed(const struct sip_timer *t);
/* Calls h on the loop (not in the signal handler) when signo arrives. */
SIP_API int sip_loop_signal(struct sip_loop *loop, int signo, sip_timer_h *h, void *arg);
/* One turn: waits for I/O at most max_wait_us (or until the next timer;
 * -1: no limit), then runs what is due. Returns the handlers run, or SIP_E*. */
SIP_API int sip_loop_poll(struct sip_loop *loop, int64_t max_wait_us);
/* Turns until sip_loop_stop, or until nothing is left to wait for. */
SIP_API int sip_loop_run(struct sip_loop *loop);
SIP_API void sip_loop_stop(struct sip_loop *loop);

#ifdef __cplusplus
}
#endif
#endif
