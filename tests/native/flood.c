/* A frame flood for check's wire tests: as many copies of one Ethernet frame as the link takes,
 * sent in batches with sendmmsg(2) on a packet socket, for a number of seconds. Prints the frames
 * sent and the rate. Usage: flood IFNAME SOURCE-MAC SECONDS broadcast|vlans */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 256

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	if (argc != 5) {
		fprintf(stderr, "usage: flood IFNAME SOURCE-MAC SECONDS broadcast|vlans\n");
		return 2;
	}
	unsigned char frame[1514];
	size_t length = 60;
	memset(frame, 0, sizeof frame);
	memset(frame, 0xff, 6);
	if (sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &frame[6], &frame[7], &frame[8], &frame[9],
		   &frame[10], &frame[11]) != 6)
		return 2;
	if (strcmp(argv[4], "vlans") == 0) { /* a frame made of stacked 802.1Q tags */
		length = 1514;
		for (size_t offset = 12; offset + 4 <= length; offset += 4) {
			frame[offset] = 0x81;
			frame[offset + 1] = 0x00;
			frame[offset + 3] = 7;
		}
	} else { /* a broadcast IPv4 UDP-like frame */
		frame[12] = 0x08;
		frame[13] = 0x00;
	}
	int sock = socket(AF_PACKET, SOCK_RAW, 0);
	struct sockaddr_ll address = {.sll_family = AF_PACKET, .sll_ifindex = if_nametoindex(argv[1]), .sll_halen = 6};
	memset(address.sll_addr, 0xff, 6);
	if (sock < 0 || address.sll_ifindex == 0) {
		perror("flood");
		return 1;
	}
	struct iovec iov = {.iov_base = frame, .iov_len = length};
	struct mmsghdr messages[BATCH];
	for (int i = 0; i < BATCH; i++)
		messages[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &address, .msg_namelen = sizeof address, .msg_iov = &iov, .msg_iovlen = 1}};
	double began = now(), seconds = atof(argv[3]);
	unsigned long long sent = 0;
	while (now() - began < seconds) {
		int n = sendmmsg(sock, messages, BATCH, 0);
		if (n > 0)
			sent += n;
	}
	double took = now() - began;
	printf("{\"sent\": %llu, \"seconds\": %.3f, \"rate\": %.0f}\n", sent, took, sent / took);
	return 0;
}
