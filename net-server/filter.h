/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * filter.h - pcap filter expressions, run in the server or in the kernel
 */
#ifndef HK_NET_FILTER_H
#define HK_NET_FILTER_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct filter {
	const char *expr;		/* as given; NULL: no filter */
	struct bpf_program prog;	/* classic BPF from pcap_compile */
};

int filter_compile(struct filter *f, const char *expr, char *why, size_t size);
void filter_free(struct filter *f);
int filter_attach(const struct filter *f, int tapfd);

/**
 * filter_pass() - does @f let this frame through?
 * @f:		a compiled filter, or one without an expression
 * @eth:	the frame, from its destination address
 * @len:	its length
 *
 * Return: true to keep the frame
 */
static inline bool filter_pass(const struct filter *f, const uint8_t *eth, size_t len)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len };

	return !f->expr || pcap_offline_filter(&f->prog, &h, eth) != 0;
}

#endif /* HK_NET_FILTER_H */
