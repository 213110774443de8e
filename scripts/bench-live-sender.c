/* UDP blaster for scripts/bench-live.sh: sends small datagrams with sendmmsg to DST:PORT for
 * SECONDS at RATE packets/s (0 = as fast as possible); prints the number sent on stdout.
 * Build: gcc -O2 -o sender bench-live-sender.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 64

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s DST PORT SECONDS RATE [PAYLOAD]\n", argv[0]);
    return 2;
  }
  struct sockaddr_in dst = {0};
  dst.sin_family = AF_INET;
  dst.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) return 2;
  double seconds = atof(argv[3]);
  double rate = atof(argv[4]);
  int payload = argc > 5 ? atoi(argv[5]) : 18; /* 18 + 8 + 20 + 14 = 60-byte frames */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { /* unconnected: ICMP port unreachable replies do not fail later sends */
    perror("socket");
    return 1;
  }
  static char buf[BURST][1500];
  struct mmsghdr msgs[BURST];
  struct iovec iov[BURST];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BURST; i++) {
    iov[i].iov_base = buf[i];
    iov[i].iov_len = payload;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &dst;
    msgs[i].msg_hdr.msg_namelen = sizeof dst;
  }
  unsigned long long sent = 0;
  double t0 = now(), end = t0 + seconds;
  for (;;) {
    double t = now();
    if (t >= end) break;
    if (rate > 0 && sent >= (t - t0) * rate) {
      usleep(50);
      continue;
    }
    for (int i = 0; i < BURST; i++) memcpy(buf[i], &sent, sizeof sent);
    int n = sendmmsg(fd, msgs, BURST, 0);
    if (n > 0) sent += n;
  }
  printf("%llu\n", sent);
  return 0;
}
